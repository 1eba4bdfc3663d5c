/** Working-day deadlines on a running case, and the calendar's fallback for a year it does not know. */
import { describe, expect, it } from 'vitest';
import { center, useScenarioWorld, unit } from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { deadlineAt, isKnownYear } from '../activities/deadlines/calendar.js';
import { getAppealRecord } from '../db/queries/cases.js';

const t = useScenarioWorld();

/** Beijing calendar year of an instant (fixed +08:00). */
const beijingYear = (ms: number): number => new Date(ms + 8 * 3600_000).getUTCFullYear();

describe('working-day deadlines (official calendar, Asia/Shanghai)', () => {
  it('a central/military matter (Art. 23) is followed up every 5 working days, counted on the official calendar', async () => {
    const appeal = await t.world.startAppeal({ appealType: 'report', categoryCode: 'central.central_military' });
    const c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c.leadUnitId).toBe('central-military-liaison');
    expect(c.policy?.code).toBe('central-liaison');
    const forwardedAt = new Date(c.timeline.find((e) => e.type === 'forwarding_requested')!.at);
    const followUp = deadlineAt(forwardedAt, 5, 'working_days');
    expect(c.forwarding?.nextFollowUpAt).toBe(followUp.at.toISOString());
    expect(c.dueAt).toBe(followUp.at.toISOString());
  });

  it('a suggestion is handled within 15 working days of its dispatch, counted on the official calendar', async () => {
    const appeal = await t.world.startAppeal({ appealType: 'suggestion', categoryCode: 'utilities.water.quality' });
    const c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c.policy?.code).toBe('suggestion');
    const dispatchedAt = new Date(c.timeline.find((e) => e.type === 'dispatched')!.at);
    const expected = deadlineAt(dispatchedAt, 15, 'working_days');
    expect(c.deadlines.handling).toBe(expected.at.toISOString());
    // It ends at 24:00 Beijing time, and 15 working days are more than 15 × 24 hours.
    expect(new Date(Date.parse(c.deadlines.handling!) + 8 * 3600_000).toISOString()).toMatch(/T00:00:00.000Z$/);
    expect(Date.parse(c.deadlines.handling!) - dispatchedAt.getTime()).toBeGreaterThan(15 * 24 * 3600_000);
    expect(c.calendarNote ?? null).toBe(expected.note ?? null);
  });

  it('a deadline that runs into a year the calendar does not know falls back to natural days, and the case says so', async () => {
    // Move virtual time to late December of the last year the calendar knows.
    const now = await t.world.env.currentTimeMs();
    let year = beijingYear(now);
    while (isKnownYear(year + 1)) year++;
    const lateDecember = Date.UTC(year, 11, 20, 2, 0, 0); // 10:00 Beijing time, 20 December
    if (lateDecember > now) await t.world.env.sleep(lateDecember - now);

    const appeal = await t.world.startAppeal({ appealType: 'suggestion', categoryCode: 'utilities.water.quality' });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c.calendarNote).toContain(String(year + 1));
    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
    expect(c.stage).toBe('handling');
    expect(beijingYear(Date.parse(c.deadlines.handling!))).toBe(year + 1);
    expect((await getAppealRecord(t.database.db, appeal.appealId))?.deadlines.handling).toBe(c.deadlines.handling);
  });
});
