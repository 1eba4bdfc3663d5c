/**
 * A working-day deadline across the National Day holiday, on a running case. The test server's
 * clock starts on Monday 28 September 2026 (libfaketime), so the whole case lives in dates the
 * official calendar knows: 1-7 October off, Saturday 10 October a make-up working day (调休).
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
      const appeal = await t.world.startAppeal({ appealType: 'report', categoryCode: 'central.central_military' });
      let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
      const dispatchedAt = c.timeline.find((e) => e.type === 'dispatched')!.at;
      expect(dispatchedAt.slice(0, 10)).toBe('2026-09-28');
      expect(c.policy?.code).toBe('central-liaison');
      // Working days after the dispatch: 29, 30 Sep; (1-7 Oct off); 8, 9, 10 (Saturday, make-up), 12-16, 19-23 Oct.
      // The 15th is Friday 23 October; the deadline is its end, 24:00 Beijing time.
      expect(c.deadlines.handling).toBe('2026-10-23T16:00:00.000Z');
      expect(c.calendarNote).toBeUndefined();

      c = await appeal.act(d.acceptDispatchUpdate, { by: unit('central-military-liaison') });
      expect(c.stage).toBe('handling');
      expect((await getAppealRecord(t.database.db, appeal.appealId))?.deadlines.handling).toBe(
        '2026-10-23T16:00:00.000Z',
      );

      // Natural days would have ended on 13 October: the case is still on time then.
      c = await appeal.skipTo('2026-10-14T00:00:00.000Z');
      expect(c.overdue).toBe(false);
      expect(c.escalationLevel).toBe(0);

      c = await appeal.skipTo(c.deadlines.handling!);
      expect(c.overdue).toBe(true);
      expect(c.escalationLevel).toBe(1);
      await appeal.expectVirtualTimeMoved(days(25));
    });
  },
);
