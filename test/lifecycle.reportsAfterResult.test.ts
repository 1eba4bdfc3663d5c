/**
 * The lead may report its result while a co-handler's part or a summoned department's report-in
 * is still owed, by deadlines of their own that have not passed. The case takes those reports
 * after the result too (stage `result_reported`), rather than refuse them and then record the
 * units as late when their deadlines pass.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { unit, useScenarioWorld } from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { accountabilityRecords } from '../db/schema/index.js';

const t = useScenarioWorld();
const street = 'chaoyang-jianwai';

describe('reports owed past the lead result', () => {
  it('a co-handler and a summoned department report after the result; neither is recorded late', async () => {
    // Road damage (general policy): the callback waits for the handling deadline, days after the result.
    const appeal = await t.world.acceptedAppeal({
      categoryCode: 'urban.road_damage',
      districtId: 'chaoyang',
      streetId: street,
    });
    const coUnit = 'chaoyang-housing';
    const department = 'chaoyang-urban-enforcement';
    await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实路面塌陷原因' });
    await appeal.act(d.blowWhistleUpdate, { by: unit(street), departmentIds: [department], reason: '占道施工' });
    let c = await appeal.act(d.reportResultUpdate, { by: unit(street), outcome: 'resolved', summary: '已修复路面' });
    expect(c.stage).toBe('result_reported');
    expect(c.pendingActors).toEqual(expect.arrayContaining([`unit:${coUnit}`, `unit:${department}`]));

    c = await appeal.act(d.reportCoHandlerPartUpdate, { by: unit(coUnit), report: '塌陷系管线渗漏所致，已处理' });
    c = await appeal.act(d.reportInUpdate, { by: unit(department), note: '已到现场清理占道' });
    expect(c.stage).toBe('result_reported');
    expect(c.coHandlers.find((co) => co.unitId === coUnit)?.status).toBe('done');
    expect(c.whistle?.departments.find((x) => x.unitId === department)?.status).toBe('done');
    expect(c.pendingActors).not.toContain(`unit:${coUnit}`);
    expect(c.pendingActors).not.toContain(`unit:${department}`);

    // Past every deadline: the case goes to its callback, and nobody is on record as late.
    const late = await appeal.skipTo(c.deadlines.handling!);
    expect(late.stage).toBe('callback');
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(records.filter((r) => r.unitId === coUnit || r.unitId === department)).toEqual([]);
  });
});
