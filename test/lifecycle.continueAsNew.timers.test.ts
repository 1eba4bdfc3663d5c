/**
 * A case continued as new keeps its clock (workflows/appeal/continuation.ts), on the
 * time-skipping server: the new run's timers come from the case's deadlines, which are instants,
 * and a warning the old run sent is not sent again.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { center, unit, useScenarioWorld } from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { accountabilityRecords } from '../db/schema/index.js';
import { listAuditEvents } from '../db/queries/cases.js';

const t = useScenarioWorld();
const street = 'chaoyang-jianwai';

describe('a case continued as new keeps its deadlines', () => {
  it('warns once per fraction across the runs and breaches at the same instant in the new run', async () => {
    // A road-damage appeal of Jianwai street (general policy: 7 natural days, warnings at 50% and 75%).
    const appeal = await t.world.startAppeal(
      { categoryCode: 'urban.road_damage', districtId: 'chaoyang', streetId: street },
      { continueAsNew: { updates: 4 } },
    );
    const firstRunId = (await appeal.handle.describe()).runId;
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    let c = await appeal.act(d.acceptDispatchUpdate, { by: unit(street) });
    const due = c.deadlines.handling!;
    const accepted = Date.parse(c.timeline.find((e) => e.type === 'accepted')!.at);

    // Half the handling time: the first warning, from the first run.
    c = await appeal.skipTo(accepted + (Date.parse(due) - accepted) * 0.5);
    expect(c.timeline.filter((e) => e.type === 'deadline_warning')).toHaveLength(1);
    // The fourth Update makes the run long; handling's wait continues it as new.
    await appeal.act(d.recordFirstContactUpdate, { by: unit(street), note: '已电话联系' });
    c = await appeal.act(d.recordFirstContactUpdate, { by: unit(street), note: '已现场查看' });
    const secondRunId = (await appeal.handle.describe()).runId;
    expect(secondRunId).not.toBe(firstRunId);
    expect(c).toMatchObject({ stage: 'handling', dueAt: due, overdue: false });
    expect(c.deadlines.handling).toBe(due);

    // The new run's timers: the 75% warning (the 50% one is not sent again), then the breach at the deadline.
    c = await appeal.skipTo(due);
    expect((await appeal.handle.describe()).runId).toBe(secondRunId);
    expect(c.timeline.filter((e) => e.type === 'deadline_warning')).toHaveLength(2);
    expect(c.timeline.filter((e) => e.type === 'handling_overdue')).toHaveLength(1);
    expect(c).toMatchObject({ stage: 'callback', overdue: true, overdueSince: due });
    const warnings = (await listAuditEvents(t.database.db, appeal.appealId)).filter(
      (e) => e.type === 'deadline_warning',
    );
    expect(warnings.map((e) => (e.payload as { fraction: number }).fraction)).toEqual([0.5, 0.75]);
    const breach = c.timeline.find((e) => e.type === 'handling_overdue')!;
    expect(Date.parse(breach.at) - Date.parse(due)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(breach.at) - Date.parse(due)).toBeLessThan(5_000);
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(and(eq(accountabilityRecords.appealId, appeal.appealId), eq(accountabilityRecords.unitId, street)));
    expect(records.map((r) => r.kind)).toEqual(['overdue_handling']);

    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(c.stage).toBe('closed');
    const [intake, ...steps] = await listAuditEvents(t.database.db, appeal.appealId);
    expect(intake?.stepKey).toBe('intake');
    expect(steps.map((e) => e.stepKey)).toEqual(c.timeline.map((_, i) => String(i + 1)));
    await appeal.expectVirtualTimeMoved(7 * 24 * 3600_000);
  });
});
