/**
 * Working-day deadlines across the long holidays, on running cases. Each test server's clock
 * starts just before a holiday (libfaketime), so the whole case lives in dates the official
 * calendar knows, make-up working days (调休) included.
 */
import { describe, expect, it } from 'vitest';
import { center, days, unit, useScenarioWorld } from './harness/scenario.js';
import { canStartAt } from './support/temporal.js';
import * as d from '../workflows/appeal/definitions.js';
import { getAppealRecord } from '../db/queries/cases.js';

/** 17:00 Beijing time, Monday 28 September 2026: three days before the holiday. */
const MONDAY_BEFORE_NATIONAL_DAY = new Date('2026-09-28T09:00:00Z');

describe.skipIf(!canStartAt())(
  'working days across National Day (libfaketime: the server starts on 2026-09-28)',
  () => {
    const t = useScenarioWorld({ startsAt: MONDAY_BEFORE_NATIONAL_DAY });

    it('counts 15 working days past the holiday week and the make-up Saturday, then escalates at that instant', async () => {
      const appeal = await t.world.startAppeal({ appealType: 'suggestion', categoryCode: 'utilities.water.quality' });
      let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
      const dispatchedAt = c.timeline.find((e) => e.type === 'dispatched')!.at;
      expect(dispatchedAt.slice(0, 10)).toBe('2026-09-28');
      expect(c.policy?.code).toBe('suggestion');
      // Working days after the dispatch: 29, 30 Sep; (1-7 Oct off); 8, 9, 10 (Saturday, make-up), 12-16, 19-23 Oct.
      // The 15th is Friday 23 October; the deadline is its end, 24:00 Beijing time.
      expect(c.deadlines.handling).toBe('2026-10-23T16:00:00.000Z');
      expect(c.calendarNote).toBeUndefined();

      c = await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
      expect(c.stage).toBe('handling');
      expect((await getAppealRecord(t.database.db, appeal.appealId))?.deadlines.handling).toBe(
        '2026-10-23T16:00:00.000Z',
      );

      // Natural days would have ended on 13 October: the case is still on time then.
      c = await appeal.skipTo('2026-10-14T00:00:00.000Z');
      expect(c.overdue).toBe(false);
      expect(c.escalationLevel).toBe(0);

      c = await appeal.skipTo(c.deadlines.handling!);
      expect(c).toMatchObject({ stage: 'callback', overdue: true, overdueSince: '2026-10-23T16:00:00.000Z' });
      expect(c.escalationLevel).toBe(1);
      await appeal.expectVirtualTimeMoved(days(25));
    });
  },
);

/** 10:00 Beijing time, Thursday 12 February 2026: three days before the Spring Festival break. */
const THURSDAY_BEFORE_SPRING_FESTIVAL = new Date('2026-02-12T02:00:00Z');

describe.skipIf(!canStartAt())(
  'working days across Spring Festival (libfaketime: the server starts on 2026-02-12)',
  () => {
    const t = useScenarioWorld({ startsAt: THURSDAY_BEFORE_SPRING_FESTIVAL });

    it('counts both make-up Saturdays and skips the nine days off', async () => {
      const appeal = await t.world.startAppeal({ appealType: 'suggestion', categoryCode: 'utilities.water.quality' });
      const c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
      expect(c.timeline.find((e) => e.type === 'dispatched')!.at.slice(0, 10)).toBe('2026-02-12');
      // 13, 14 (Saturday, make-up) Feb; (15-23 off); 24-27, 28 (Saturday, make-up) Feb; 2-6, 9-11 Mar.
      expect(c.deadlines.handling).toBe('2026-03-11T16:00:00.000Z');
      expect(c.calendarNote).toBeUndefined();
    });
  },
);
