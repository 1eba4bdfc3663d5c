/**
 * Assessment at the close (Art. 25), on the time-skipping server: one row per unit to be
 * assessed — lead, co-handlers, summoned departments — with what the callback established (the
 * requester's answers, counted only on a valid callback) beside what each unit claimed and
 * whether it reported; a withdrawn case's rows are exempt.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { center, hours, intake, useScenarioWorld, unit, type AppealScenario } from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { accountabilityRecords, assessments } from '../db/schema/index.js';

const t = useScenarioWorld();

const street = 'chaoyang-jianwai';
const water = 'beijing-water';

async function rowsOf(appeal: AppealScenario) {
  const rows = await t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
  return new Map(rows.map((r) => [r.unitId, r]));
}

/** A water outage accepted by the water company, first contact recorded and the result reported resolved. */
async function waterCaseInCallback(): Promise<AppealScenario> {
  const appeal = await t.world.acceptedAppeal({ categoryCode: 'utilities.water.outage' });
  await appeal.act(d.recordFirstContactUpdate, { by: unit(water), note: '已电话联系' });
  // Utilities: the policy calls back as soon as the result is reported.
  const c = await appeal.act(d.reportResultUpdate, { by: unit(water), outcome: 'resolved', summary: '已恢复供水' });
  expect(c.stage).toBe('callback');
  return appeal;
}

describe('assessment rows (Art. 25)', () => {
  it("a reached callback: the requester's answers count, the unit's claims are kept beside them", async () => {
    const appeal = await waterCaseInCallback();
    const c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'basically_satisfied',
      channel: 'phone',
    });
    expect(c.stage).toBe('closed');
    const rows = await rowsOf(appeal);
    expect([...rows.keys()]).toEqual([water]);
    expect(rows.get(water)).toMatchObject({
      role: 'lead',
      callbackValid: true,
      contacted: true,
      resolved: false,
      satisfaction: 'basically_satisfied',
      claimedContacted: true,
      claimedResolved: true,
      reported: true,
      responded: true,
      exempt: false,
      exemptReason: null,
      exemptionStatus: null,
    });
    // The claim the requester denies is a matter for accountability (Art. 29(2)).
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(records).toEqual([expect.objectContaining({ unitId: water, kind: 'claim_contradicted' })]);
  });

  it('an unreachable requester: the callback is not valid, no answer is counted against the unit', async () => {
    const appeal = await waterCaseInCallback();
    await appeal.act(d.recordCallbackUpdate, { by: center, reached: false });
    await appeal.skip(hours(4));
    await appeal.skip(hours(4));
    const c = await appeal.skip(hours(4));
    expect(c.stage).toBe('closed');
    expect(c.callback).toMatchObject({ attempts: 3, reached: false });
    expect((await rowsOf(appeal)).get(water)).toMatchObject({
      role: 'lead',
      callbackValid: false,
      contacted: null,
      resolved: null,
      satisfaction: null,
      claimedContacted: true,
      claimedResolved: true,
      reported: true,
      exempt: false,
    });
  });

  it('a co-handler that never reported and a summoned department that reported in: each has its own row', async () => {
    const appeal = await t.world.acceptedAppeal({
      categoryCode: 'urban.road_damage',
      districtId: 'chaoyang',
      streetId: street,
    });
    const coUnit = 'chaoyang-housing';
    const dept = 'city-urban-enforcement';
    await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实产权' });
    await appeal.act(d.blowWhistleUpdate, { by: unit(street), departmentIds: [dept], reason: '占道经营需执法' });
    let c = await appeal.act(d.reportInUpdate, { by: unit(dept), note: '已派员到场' });
    expect(c.whistle!.departments[0]).toMatchObject({ unitId: dept, status: 'done' });

    // No first contact, no result: the deadline passes and the center calls back.
    c = await appeal.skipTo(c.deadlines.handling!);
    for (let i = 0; i < 100 && (c.stage !== 'callback' || c.coHandlers[0]!.status !== 'ended'); i++)
      c = await appeal.settle();
    expect(c.stage).toBe('callback');
    expect(c.coHandlers[0]!.status).toBe('ended');
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: false,
      resolved: false,
      satisfaction: 'basically_satisfied',
    });
    expect(c.stage).toBe('closed');

    const rows = await rowsOf(appeal);
    expect([...rows.keys()].sort()).toEqual([coUnit, dept, street].sort());
    const answers = { callbackValid: true, contacted: false, resolved: false, satisfaction: 'basically_satisfied' };
    expect(rows.get(street)).toMatchObject({
      role: 'lead',
      ...answers,
      claimedContacted: false,
      claimedResolved: false,
      reported: false,
      responded: false,
      exempt: false,
    });
    expect(rows.get(coUnit)).toMatchObject({
      role: 'co_handler',
      ...answers,
      claimedContacted: false,
      claimedResolved: false,
      reported: false,
      responded: false,
      exempt: false,
    });
    expect(rows.get(dept)).toMatchObject({
      role: 'department',
      ...answers,
      reported: true,
      responded: true,
      exempt: false,
    });
  });

  it("a withdrawn case: every unit's row is exempt with the reason", async () => {
    const appeal = await t.world.acceptedAppeal({
      categoryCode: 'urban.road_damage',
      districtId: 'chaoyang',
      streetId: street,
    });
    await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: 'chaoyang-housing', task: '核实产权' });
    await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: ['city-urban-enforcement'],
      reason: '占道经营需执法',
    });
    const c = await appeal.act(d.withdrawAppealUpdate, { by: intake, reason: '问题已自行解决' });
    expect(c).toMatchObject({ stage: 'closed', disposition: 'withdrawn' });
    const rows = [...(await rowsOf(appeal)).values()];
    expect(rows.map((r) => [r.unitId, r.role]).sort()).toEqual(
      [
        [street, 'lead'],
        ['chaoyang-housing', 'co_handler'],
        ['city-urban-enforcement', 'department'],
      ].sort(),
    );
    for (const r of rows)
      expect(r).toMatchObject({ exempt: true, exemptReason: 'withdrawn: 问题已自行解决', callbackValid: false });
  });
});
