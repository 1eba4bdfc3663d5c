/**
 * Every party's case, on the time-skipping server: consultation, the routes by which a street
 * becomes lead, the manual queue, the stability-risk push, the overdue objection review,
 * escalation to a sector authority, a street-only appeal, a central/military matter,
 * withdrawal with open co-handlers and a merge into a real original.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { center, coordinator, days, hours, intake, useScenarioWorld, unit } from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { ErrorType } from '../domain/errors.js';
import { coHandlingWorkflowId } from '../workflows/coHandler/definitions.js';
import type { coHandlingWorkflow } from '../workflows/coHandler/workflow.js';
import { District, Overdue, StabilityRisk } from '../workflows/searchAttributes.js';
import { accountabilityRecords, assessments } from '../db/schema/index.js';
import { listAuditEvents } from '../db/queries/cases.js';

const t = useScenarioWorld();

const kinds = (events: { type: string }[]): string[] => events.map((e) => e.type);

describe('consultation (会商)', () => {
  it('candidates give opinions, a non-candidate is refused, the center names a street lead that its district supervises', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'housing.new_home_delivery',
      districtId: 'haidian',
      streetId: 'haidian-wanshoulu',
    });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch', consultation: true });
    expect(c.stage).toBe('consultation');
    expect(c.consultation!.candidateUnitIds).toEqual(expect.arrayContaining(['haidian-housing', 'sector-housing']));
    expect(c.pendingActors).toEqual(expect.arrayContaining(['center', 'unit:haidian-housing', 'unit:sector-housing']));
    const told = await appeal.notifications();
    expect(told.filter((n) => n.kind === 'consultation').map((n) => n.to)).toEqual(
      expect.arrayContaining(['unit:haidian-housing', 'unit:sector-housing']),
    );

    const outsider = await appeal.refused(d.giveConsultationOpinionUpdate, {
      by: unit('chaoyang-jianwai'),
      opinion: '不是我们',
    });
    expect(outsider.type).toBe(ErrorType.ActionForbidden);
    c = await appeal.act(d.giveConsultationOpinionUpdate, {
      by: unit('haidian-housing'),
      opinion: '宜由属地街道牵头',
      proposedLeadUnitId: 'haidian-wanshoulu',
    });
    // The proposed lead stays with the opinion: the center concludes from it.
    expect(c.consultation!.opinions).toEqual([
      { unitId: 'haidian-housing', opinion: '宜由属地街道牵头', proposedLeadUnitId: 'haidian-wanshoulu' },
    ]);
    expect(c.pendingActors).not.toContain('unit:haidian-housing');

    // Past the consultation window (complex: 3 days) the case is overdue until the center concludes.
    c = await appeal.skipTo(c.deadlines.consultation!);
    expect(c).toMatchObject({ stage: 'consultation', overdue: true, overdueSince: c.deadlines.consultation });
    expect((await appeal.handle.describe()).typedSearchAttributes.get(Overdue)).toBe(true);

    c = await appeal.act(d.concludeConsultationUpdate, {
      by: center,
      leadUnitId: 'haidian-wanshoulu',
      reason: '属地牵头，住建部门配合',
    });
    expect(c).toMatchObject({
      stage: 'awaiting_acceptance',
      overdue: false,
      leadUnitId: 'haidian-wanshoulu',
      leadUnitKind: 'street',
      supervisingUnitIds: ['haidian-gov'],
    });
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'unit:haidian-gov', kind: 'supervise' })]),
    );
    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('haidian-wanshoulu') });
    // The street leads by the consultation's route: it may blow the whistle.
    c = await appeal.act(d.blowWhistleUpdate, {
      by: unit('haidian-wanshoulu'),
      departmentIds: ['haidian-housing'],
      reason: '需住建部门到场',
    });
    expect(c.whistle!.departments).toEqual([expect.objectContaining({ unitId: 'haidian-housing', status: 'open' })]);
    await appeal.saveHistoryAsFixture('consultation');
  });
});

describe('a street leads by any route: its district supervises, it may blow the whistle', () => {
  it("the center's own choice of a street", async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'urban.road_damage',
      districtId: 'haidian',
      streetId: undefined,
    });
    const c = await appeal.act(d.triageAppealUpdate, {
      by: center,
      disposition: 'dispatch',
      unitId: 'haidian-wanshoulu',
    });
    expect(c).toMatchObject({
      leadUnitId: 'haidian-wanshoulu',
      leadUnitKind: 'street',
      supervisingUnitIds: ['haidian-gov'],
    });
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'unit:haidian-gov', kind: 'supervise' })]),
    );
  });

  it('an objection re-dispatch to a street gains supervision; one from a street to a department loses it', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c).toMatchObject({ leadUnitId: 'chaoyang-jianwai', supervisingUnitIds: ['chaoyang-gov'] });
    await appeal.act(d.objectToDispatchUpdate, { by: unit('chaoyang-jianwai'), reason: '属市政道路' });
    c = await appeal.act(d.decideObjectionUpdate, {
      by: center,
      decision: 'redispatch',
      newUnitId: 'city-urban-management',
      reason: '改派市城市管理委',
    });
    expect(c).toMatchObject({
      leadUnitId: 'city-urban-management',
      leadUnitKind: 'city_department',
      supervisingUnitIds: [],
    });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('city-urban-management') });
    const refused = await appeal.refused(d.blowWhistleUpdate, {
      by: unit('city-urban-management'),
      departmentIds: ['city-housing'],
      reason: '需配合',
    });
    expect(refused.type).toBe(ErrorType.ActionForbidden);
    expect(refused.message).toContain('only a street or township lead blows the whistle');
  });
});

describe('intake and triage paths', () => {
  it('a risk to social stability is pushed to the government at once and shows in the UI', async () => {
    const appeal = await t.world.startAppeal({ stabilityRisk: true });
    const pushed = (await appeal.notifications()).filter((n) => n.kind === 'stability_risk');
    expect(pushed).toEqual([
      expect.objectContaining({ to: 'government', kind: 'stability_risk' }),
      expect.objectContaining({ to: 'center', kind: 'stability_risk' }),
    ]);
    expect((await appeal.handle.describe()).typedSearchAttributes.get(StabilityRisk)).toBe(true);
    expect(kinds(await listAuditEvents(t.database.db, appeal.appealId))).toContain('stability_risk_pushed');
    const quiet = await t.world.startAppeal();
    expect((await quiet.handle.describe()).typedSearchAttributes.get(StabilityRisk)).toBe(false);
    expect((await quiet.notifications()).filter((n) => n.kind === 'stability_risk')).toEqual([]);
  });

  it('the manual queue: nothing in the catalogue and no district, the center chooses the unit', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'urban.road_damage',
      districtId: undefined,
      streetId: undefined,
    });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c).toMatchObject({ stage: 'triage', nextActor: 'center' });
    expect(c.timeline.map((e) => e.type)).toContain('manual_dispatch_needed');
    c = await appeal.act(d.triageAppealUpdate, {
      by: center,
      disposition: 'dispatch',
      unitId: 'city-urban-management',
    });
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'city-urban-management' });
  });

  it('a street-only appeal takes its district from the street and escalates to that district', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'urban.road_damage',
      districtId: undefined,
      streetId: 'xicheng-xinjiekou',
    });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c).toMatchObject({
      districtId: 'xicheng',
      leadUnitId: 'xicheng-xinjiekou',
      supervisingUnitIds: ['xicheng-gov'],
    });
    expect((await appeal.handle.describe()).typedSearchAttributes.get(District)).toBe('xicheng');
    await appeal.act(d.acceptDispatchUpdate, { by: unit('xicheng-xinjiekou') });
    c = await appeal.skipTo(c.deadlines.handling!);
    expect(c.escalations![0]).toMatchObject({ level: 1, coordinatorId: 'xicheng-gov', cause: 'handling' });
  });

  it('an objection the center does not review in time stays overdue until it decides', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    let c = await appeal.act(d.objectToDispatchUpdate, { by: unit('chaoyang-jianwai'), reason: '属市政道路' });
    const reviewDue = c.deadlines.objectionReview!;
    c = await appeal.skipTo(reviewDue);
    expect(c).toMatchObject({ stage: 'objection_review', overdue: true, overdueSince: reviewDue, nextActor: 'center' });
    c = await appeal.skip(hours(5));
    expect(c).toMatchObject({ overdue: true, overdueSince: reviewDue });
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'center', kind: 'objection_review_overdue' })]),
    );
    c = await appeal.act(d.decideObjectionUpdate, { by: center, decision: 'upheld', reason: '属街道管辖' });
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', overdue: false });
  });
});

describe('escalation to a sector authority (Art. 22)', () => {
  it('a gas leak led by the gas company escalates to the energy sector authority, which answers', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'utilities.gas.leak' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    let c = await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-gas') });
    c = await appeal.skipTo(c.deadlines.handling!);
    expect(c.escalations).toEqual([expect.objectContaining({ level: 1, coordinatorId: 'sector-energy' })]);
    const outsider = await appeal.refused(d.giveCoordinationOpinionUpdate, {
      by: coordinator('chaoyang-gov'),
      opinion: '…',
    });
    expect(outsider.type).toBe(ErrorType.ActionForbidden);
    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('sector-energy'),
      opinion: '督促燃气集团立即处置',
    });
    expect(c.escalations![0]).toMatchObject({ status: 'answered', opinion: '督促燃气集团立即处置' });
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: 'unit:beijing-gas', kind: 'red_light' }),
        expect.objectContaining({ to: 'unit:beijing-gas', kind: 'coordination_opinion' }),
      ]),
    );
  });
});

describe('central and military matters (Art. 23)', () => {
  it('forwarded through the liaison, followed up until the organ answers, called back, and not assessed', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'central.central_military',
      districtId: 'haidian',
      streetId: undefined,
    });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c).toMatchObject({
      stage: 'forwarded',
      leadUnitId: 'central-military-liaison',
      nextActor: 'unit:central-military-liaison',
    });
    const refused = await appeal.refused(d.acceptDispatchUpdate, { by: unit('central-military-liaison') });
    expect(refused.type).toBe(ErrorType.ActionNotAllowed);
    const tooEarly = await appeal.refused(d.recordForwardingFeedbackUpdate, {
      by: unit('central-military-liaison'),
      feedback: '已答复',
    });
    expect(tooEarly.type).toBe(ErrorType.ActionNotAllowed);
    c = await appeal.act(d.recordForwardingUpdate, {
      by: unit('central-military-liaison'),
      organ: '某驻京部队营房管理部门',
    });
    expect(c.forwarding).toMatchObject({ organ: '某驻京部队营房管理部门', followUps: 0 });
    c = await appeal.skipTo(c.forwarding!.nextFollowUpAt!);
    expect(c.forwarding!.followUps).toBe(1);
    c = await appeal.skipTo(c.forwarding!.nextFollowUpAt!);
    expect(c.forwarding!.followUps).toBe(2);
    c = await appeal.act(d.recordForwardingFeedbackUpdate, {
      by: unit('central-military-liaison'),
      feedback: '营区施工已调整至白天进行',
    });
    expect(c.stage).toBe('callback');
    expect(c.callback?.trigger).toBe('result');
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
      channel: 'phone',
    });
    expect(c.stage).toBe('closed');
    const rows = await t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
    expect(rows).toEqual([]);
    const events = kinds(await listAuditEvents(t.database.db, appeal.appealId));
    expect(events).toEqual(
      expect.arrayContaining(['forwarding_requested', 'forwarded', 'forwarding_follow_up', 'forwarding_feedback']),
    );
    expect(events).not.toContain('accepted');
  });
});

describe('withdrawal and merge end everything explicitly', () => {
  it('withdrawal with two open co-handlers: each is told, its workflow ended by the appeal, shown ended', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    for (const unitId of ['city-urban-management', 'chaoyang-housing'])
      await appeal.act(d.addCoHandlerUpdate, { by: unit('chaoyang-jianwai'), unitId, task: '协助核实' });
    const c = await appeal.act(d.withdrawAppealUpdate, { by: intake, reason: '问题已自行解决' });
    expect(c).toMatchObject({ stage: 'closed', disposition: 'withdrawn' });
    expect(c.coHandlers.map((co) => [co.unitId, co.status])).toEqual([
      ['city-urban-management', 'ended'],
      ['chaoyang-housing', 'ended'],
    ]);
    for (const unitId of ['city-urban-management', 'chaoyang-housing']) {
      const child = t.world.env.client.workflow.getHandle<typeof coHandlingWorkflow>(
        coHandlingWorkflowId(appeal.appealId, unitId),
      );
      expect(await child.result()).toMatchObject({ unitId, status: 'ended' });
      expect((await child.describe()).status.name).toBe('COMPLETED');
    }
    const told = await appeal.notifications();
    expect(told.filter((n) => n.kind === 'case_ended').map((n) => n.to)).toEqual(
      expect.arrayContaining(['unit:city-urban-management', 'unit:chaoyang-housing', 'unit:chaoyang-jianwai']),
    );
    expect(told).toEqual(expect.arrayContaining([expect.objectContaining({ to: 'requester', kind: 'withdrawn' })]));
    const rows = await t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
    expect(rows.every((r) => r.exempt && r.exemptReason === 'withdrawn: 问题已自行解决')).toBe(true);
    const again = await appeal.handle
      .executeUpdate(d.withdrawAppealUpdate, { args: [{ by: intake, reason: 'x' }] })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Error);
    await appeal.saveHistoryAsFixture('withdrawal');
  });

  it('a duplicate merged into a real open original: the original records the link and its unit is told', async () => {
    const original = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await original.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await original.act(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    const duplicate = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    const self = await duplicate.refused(d.mergeAppealUpdate, {
      by: center,
      originalAppealId: duplicate.appealId,
      reason: '自身',
    });
    expect(self.type).toBe(ErrorType.InvalidAction);
    const c = await duplicate.act(d.mergeAppealUpdate, {
      by: center,
      originalAppealId: original.appealId,
      reason: '同一诉求人同一问题',
    });
    expect(c).toMatchObject({ stage: 'closed', disposition: 'merged', originalAppealId: original.appealId });
    const o = await original.settle();
    expect(o.mergedAppealIds).toEqual([duplicate.appealId]);
    expect(kinds(await listAuditEvents(t.database.db, original.appealId))).toContain('duplicate_merged');
    expect(await original.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'unit:chaoyang-jianwai', kind: 'duplicate_merged' })]),
    );
    expect(await duplicate.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'requester', kind: 'merged' })]),
    );
    await duplicate.saveHistoryAsFixture('merge');
  });
});

describe('accountability (Art. 29)', () => {
  it('a first contact the requester denies is recorded against the unit', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'utilities.water.outage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
    await appeal.act(d.recordFirstContactUpdate, { by: unit('beijing-water'), note: '已电话联系' });
    await appeal.act(d.reportResultUpdate, { by: unit('beijing-water'), outcome: 'resolved', summary: '已恢复供水' });
    const incomplete = await appeal.refused(d.recordCallbackUpdate, { by: center, reached: true, contacted: false });
    expect(incomplete.type).toBe(ErrorType.InvalidAction);
    expect(incomplete.message).toContain('resolved, satisfaction');
    await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: false,
      resolved: false,
      satisfaction: 'unsatisfied',
      channel: 'web',
    });
    await appeal.skip(days(3));
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(records.filter((r) => r.kind === 'claim_contradicted').map((r) => r.unitId)).toEqual([
      'beijing-water',
      'beijing-water',
    ]);
    const events = await listAuditEvents(t.database.db, appeal.appealId);
    expect(records.every((r) => events.find((e) => e.stepKey === r.auditStepKey)?.type === 'callback_answered')).toBe(
      true,
    );
  });
});

describe('a write PostgreSQL refuses', () => {
  it('fails the case visibly with the reason, instead of retrying its task forever', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    // Past the API (which refuses it at the door): a task with a NUL reaches the audit trail's write.
    await appeal
      .act(d.addCoHandlerUpdate, { by: unit('chaoyang-jianwai'), unitId: 'city-urban-management', task: '核实\u0000' })
      .catch(() => undefined);
    const failed = await appeal.handle.result().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The workflow failed on the refused write: a cause names the reason.
    const causes: (Error & { type?: string })[] = [];
    for (let e = failed?.cause; e instanceof Error; e = e.cause) causes.push(e);
    const refusal = causes.find((c) => c.type === 'RecordRejected');
    expect(refusal?.message).toContain('PostgreSQL refused the data');
    expect((await appeal.handle.describe()).status.name).toBe('FAILED');
  });
});
