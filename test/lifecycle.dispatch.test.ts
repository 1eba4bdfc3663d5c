/** Triage, dispatch, acceptance and objections (Art. 12, 14, 16), on the time-skipping server. */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import {
  activitiesIn,
  announcedIn,
  center,
  coordinator,
  days,
  hours,
  plus,
  useScenarioWorld,
  unit,
} from './harness/scenario.js';
import { DueAt, Overdue } from '../workflows/searchAttributes.js';
import * as d from '../workflows/appeal/definitions.js';
import { ErrorType } from '../domain/errors.js';
import { accountabilityRecords, assessments } from '../db/schema/index.js';
import { getAppealRecord, listAuditEvents } from '../db/queries/cases.js';

const t = useScenarioWorld();

const at = (c: d.AppealCase, type: string): string => {
  const entry = c.timeline.find((e) => e.type === type);
  expect(entry, `timeline has ${type}`).toBeDefined();
  return entry!.at;
};

describe('the full 15-day happy path', () => {
  it('dispatches a complex appeal by the catalogue, handles it, calls back at the deadline and assesses the unit', async () => {
    // New-home delivery in Haidian: the district's housing department, "complex" policy (15 natural days).
    const appeal = await t.world.startAppeal({
      appealType: 'complaint',
      categoryCode: 'housing.new_home_delivery',
      districtId: 'haidian',
      streetId: undefined,
    });
    expect((await appeal.state()).stage).toBe('triage');

    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c.stage).toBe('awaiting_acceptance');
    expect(c.leadUnitId).toBe('haidian-housing');
    expect(c.policy).toEqual({ code: 'complex', version: 1 });
    const dispatchedAt = at(c, 'dispatched');
    expect(c.deadlines.acceptance).toBe(plus(dispatchedAt, hours(2)));
    expect(c.deadlines.handling).toBe(plus(dispatchedAt, days(15)));
    expect(c.nextActor).toBe('unit:haidian-housing');

    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('haidian-housing') });
    expect(c.stage).toBe('handling');
    expect(c.dueAt).toBe(c.deadlines.handling);
    await appeal.act(d.recordFirstContactUpdate, { by: unit('haidian-housing'), note: '已电话联系诉求人' });

    await appeal.skip(days(10));
    c = await appeal.act(d.reportResultUpdate, {
      by: unit('haidian-housing'),
      outcome: 'resolved',
      summary: '开发商已承诺月底前交房',
    });
    expect(c.stage).toBe('result_reported');

    // The complex policy calls back when the handling deadline expires, not at the result.
    c = await appeal.skipTo(c.deadlines.handling!);
    expect(c.stage).toBe('callback');
    expect(c.callback?.attempts).toBe(1);
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(c.stage).toBe('closed');
    await appeal.expectVirtualTimeMoved(days(15));

    const record = await getAppealRecord(t.database.db, appeal.appealId);
    expect(record?.stage).toBe('closed');
    expect(record?.leadUnitId).toBe('haidian-housing');
    expect(record?.dueAt).toBeNull();
    expect(record?.deadlines.handling).toBe(c.deadlines.handling);
    const events = await listAuditEvents(t.database.db, appeal.appealId);
    expect(events.map((e) => e.type)).toEqual([
      'intake',
      'dispatched',
      'accepted',
      'first_contact',
      'deadline_warning', // 50% of the time, day 7.5; the result came on day 10, before the 75% warning
      'result_reported',
      'callback_attempt',
      'callback_answered',
      'closed',
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const rows = await t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
    expect(rows).toEqual([
      expect.objectContaining({
        unitId: 'haidian-housing',
        role: 'lead',
        responded: true,
        resolved: true,
        satisfaction: 'satisfied',
        exempt: false,
      }),
    ]);
    await appeal.saveHistoryAsFixture('happy-path');
  });
});

describe('triage (Art. 12)', () => {
  const dispositions: d.TriageInput[] = [
    {
      by: center,
      disposition: 'knowledge_answer',
      reason: '政策咨询',
      answer: '供暖季为每年11月15日至次年3月15日',
      knowledgeEntryId: 'heating-season',
    },
    { by: center, disposition: 'emergency_transfer', reason: '火情', answer: '已转119', emergencyNumber: '119' },
    {
      by: center,
      disposition: 'legal_channel',
      reason: '已进入诉讼',
      answer: '请通过诉讼途径解决',
      legalChannel: 'litigation',
    },
    { by: center, disposition: 'repeat', reason: '无新情况', answer: '原诉求正在办理', originalAppealId: 'original-1' },
    { by: center, disposition: 'explained', reason: '涉及他人隐私', answer: '无法受理，已说明' },
    { by: center, disposition: 'admonished', reason: '骚扰热线', answer: '已告知法律后果' },
    { by: center, disposition: 'market_referral', reason: '商业纠纷', answer: '请通过市场渠道解决' },
  ];
  it.each(dispositions.map((x) => [x.disposition, x] as const))(
    '%s closes the appeal with its reason and answer',
    async (disposition, input) => {
      const appeal = await t.world.startAppeal();
      const c = await appeal.act(d.triageAppealUpdate, input);
      expect(c.stage).toBe('closed');
      expect(c.disposition).toBe(disposition);
      expect(c.answer).toBe((input as { answer: string }).answer);
      expect(c.leadUnitId).toBeUndefined();
      const events = await listAuditEvents(t.database.db, appeal.appealId);
      expect(events.map((e) => [e.type, e.reason])).toEqual([
        ['intake', null],
        [`triage_${disposition}`, (input as { reason: string }).reason],
        ['closed', null],
      ]);
      expect((await getAppealRecord(t.database.db, appeal.appealId))?.disposition).toBe(disposition);
    },
  );

  it('refuses a closing disposition without the field it needs, and an action from the wrong party, without a history event', async () => {
    const appeal = await t.world.startAppeal();
    const before = await appeal.state();
    const missing = await appeal.refused(d.triageAppealUpdate, {
      by: center,
      disposition: 'emergency_transfer',
      reason: '火情',
      answer: '转119',
    });
    expect(missing.type).toBe(ErrorType.InvalidAction);
    expect(missing.message).toContain('emergencyNumber');
    const wrongParty = await appeal.refused(d.triageAppealUpdate, {
      by: unit('chaoyang-jianwai'),
      disposition: 'dispatch',
    });
    expect(wrongParty.type).toBe(ErrorType.ActionForbidden);
    const wrongStage = await appeal.refused(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    expect(wrongStage.type).toBe(ErrorType.ActionNotAllowed);
    expect(wrongStage.message).toBe('acceptDispatch is not allowed in stage triage: allowed in awaiting_acceptance');
    // Refused before it entered history: no update event, nothing changed.
    expect(await appeal.updateEventCount()).toBe(0);
    expect(await appeal.state()).toEqual(before);
  });
});

describe('what the center sees at triage (Art. 12, 13)', () => {
  it('knowledge-base answers for a consultation, best first', async () => {
    const appeal = await t.world.startAppeal({
      appealType: 'consultation',
      categoryCode: 'utilities.heating',
      content: '屋里暖气片摸着冰凉，温度才十几度，算不算不合格',
      requester: { name: '赵六', phone: '13600000001' },
    });
    const c = await appeal.state();
    expect(c.triageHints?.knowledge[0]).toMatchObject({ id: 'kb-heating-temperature' });
    expect(c.triageHints?.knowledge[0]?.answer).toContain('18');
    expect(c.triageHints?.duplicates).toEqual([]);
    // The center answers on the spot from it, and the case closes.
    const closed = await appeal.act(d.triageAppealUpdate, {
      by: center,
      disposition: 'knowledge_answer',
      reason: '供暖温度标准咨询',
      answer: c.triageHints!.knowledge[0]!.answer,
      knowledgeEntryId: c.triageHints!.knowledge[0]!.id,
    });
    expect(closed.stage).toBe('closed');
  });

  it('an earlier appeal of the same requester, place and category, to link a repeat to', async () => {
    const requester = { name: '钱七', phone: '13600000002' };
    const original = await t.world.startAppeal({ requester });
    const dispatched = await original.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    const repeat = await t.world.startAppeal({ requester });
    const c = await repeat.state();
    expect(c.triageHints?.duplicates).toEqual([
      expect.objectContaining({
        appealId: original.appealId,
        stage: 'awaiting_acceptance',
        leadUnitId: dispatched.leadUnitId,
        dueAt: dispatched.deadlines.acceptance,
      }),
    ]);
    // Another requester's appeal about the same thing is not a repeat.
    const other = await t.world.startAppeal({ requester: { name: '孙八', phone: '13600000003' } });
    expect((await other.state()).triageHints?.duplicates).toEqual([]);

    const closed = await repeat.act(d.triageAppealUpdate, {
      by: center,
      disposition: 'repeat',
      reason: '无新情况',
      answer: '原诉求正在办理',
      originalAppealId: c.triageHints!.duplicates[0]!.appealId,
    });
    expect(closed).toMatchObject({ stage: 'closed', disposition: 'repeat', originalAppealId: original.appealId });
  });
});

describe('dispatch and acceptance (Art. 14, 16)', () => {
  it('reads once to dispatch: the plan brings the limits, the lead and the deadlines from the decision', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'urban.road_damage',
      districtId: undefined,
      streetId: 'xicheng-xinjiekou',
    });
    const c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'xicheng-xinjiekou' });
    expect(c.supervisingUnitIds).toEqual(['xicheng-gov']);
    // The deadlines count from the center's decision, the instant the order went out with.
    const dispatchedAt = at(c, 'dispatched');
    expect(c.deadlines.acceptance! > dispatchedAt).toBe(true);
    // What the decision's task did after the read is dated at the decision, as a replay dates it.
    expect(c.waitingSince).toBe(dispatchedAt);
    // The plan is read within the workflow task of the decision (a local activity), and only it.
    const { scheduled, local } = activitiesIn((await appeal.handle.fetchHistory()).events ?? []);
    const reads = ['planDispatch', 'getPolicyLimits', 'describeUnit', 'computeDeadlines'];
    expect(local.filter((name) => reads.includes(name))).toEqual(['planDispatch']);
    expect(scheduled.filter((name) => reads.includes(name))).toEqual([]);
    // What a workflow task changed and said is one local activity: the intake's records the work
    // order and tells its number; the decision's reads the plan, then writes its steps and says the dispatch.
    expect(local).toEqual(['recordIntakeWithHints', 'planDispatch', 'recordMoment']);
    const said = announcedIn((await appeal.handle.fetchHistory()).events ?? []).map(({ to, kind }) => `${to} ${kind}`);
    expect(said).toEqual(['requester received', 'unit:xicheng-xinjiekou dispatched', 'unit:xicheng-gov supervise']);
    // The limits the plan brought govern the case as the separate read did: reminders before escalation.
    const late = await appeal.skipTo(c.deadlines.acceptance!);
    expect(late.acceptanceReminders).toBe(1);
  });

  it('dispatches to the street of the location and notifies its district government', async () => {
    const appeal = await t.world.startAppeal({
      categoryCode: 'urban.road_damage',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
    });
    const c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    expect(c.leadUnitId).toBe('chaoyang-jianwai');
    expect(c.supervisingUnitIds).toEqual(['chaoyang-gov']);
  });

  it('an unaccepted case stays overdue from the missed window on, is reminded by the policy and escalates tier by tier', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    const missed = c.deadlines.acceptance!;
    c = await appeal.skipTo(missed);
    // General policy: reminders every 2 h; [2, 1, 1] reminders per tier; 2 tiers.
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', overdue: true, overdueSince: missed, dueAt: missed });
    expect(c.acceptanceReminders).toBe(1);
    expect(c.escalationLevel).toBe(0);
    const described = await appeal.handle.describe();
    expect(described.typedSearchAttributes.get(Overdue)).toBe(true);
    expect(described.typedSearchAttributes.get(DueAt)?.toISOString()).toBe(missed);

    // The missed deadline stays the case's acceptance deadline; the next reminder is due a window on.
    expect(c.deadlines.acceptance).toBe(missed);
    expect(Math.round((Date.parse(c.deadlines.acceptanceReminder!) - Date.parse(missed)) / 1000)).toBe(2 * 3600);
    c = await appeal.skip(hours(2));
    expect(c).toMatchObject({ overdue: true, overdueSince: missed, dueAt: missed, acceptanceReminders: 2 });
    expect(c.deadlines.acceptance).toBe(missed);
    // The tier's last reminder gets its window: no escalation at the instant it goes out.
    expect(c.escalationLevel).toBe(0);
    expect(c.escalations ?? []).toEqual([]);
    c = await appeal.skip(hours(2));
    expect(c).toMatchObject({ acceptanceReminders: 3, escalationLevel: 1 });
    expect(c.escalations).toEqual([
      expect.objectContaining({ level: 1, coordinatorId: 'chaoyang-gov', cause: 'acceptance', status: 'requested' }),
    ]);
    expect(c.pendingActors).toEqual(expect.arrayContaining(['unit:chaoyang-jianwai', 'coordinator:chaoyang-gov']));
    c = await appeal.skip(hours(2));
    expect(c.acceptanceReminders).toBe(4);
    expect(c.escalations!.map((e) => [e.level, e.coordinatorId])).toEqual([
      [1, 'chaoyang-gov'],
      [2, 'city-joint-office'],
    ]);
    // Each escalation came one window after the tier's last reminder, with the new tier's reminder.
    const timeline = c.timeline.filter((e) => e.type === 'acceptance_reminder' || e.type === 'escalated');
    expect(timeline.map((e) => [e.type, Math.round((Date.parse(e.at) - Date.parse(missed)) / hours(1))])).toEqual([
      ['acceptance_reminder', 0],
      ['acceptance_reminder', 2],
      ['escalated', 4],
      ['acceptance_reminder', 4],
      ['escalated', 6],
      ['acceptance_reminder', 6],
    ]);
    c = await appeal.skip(hours(2));
    expect(c.acceptanceReminders).toBe(4);
    // Every tier asked and its reminders spent: no endless reminders, still overdue.
    c = await appeal.skip(days(3));
    expect(c).toMatchObject({ acceptanceReminders: 4, escalationLevel: 2, overdue: true, overdueSince: missed });
    // The escalated authorities missed their opinion windows (2 days): late like anyone else.
    const late = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(late.map((r) => [r.unitId, r.kind]).sort()).toEqual([
      ['chaoyang-gov', 'late_coordination_opinion'],
      ['chaoyang-jianwai', 'late_acceptance'],
      ['city-joint-office', 'late_coordination_opinion'],
    ]);
    const events = await listAuditEvents(t.database.db, appeal.appealId);
    const lateAcceptance = late.find((r) => r.kind === 'late_acceptance')!;
    expect(events.find((e) => e.stepKey === lateAcceptance.auditStepKey)?.type).toBe('acceptance_overdue');
    const record = await getAppealRecord(t.database.db, appeal.appealId);
    expect(record).toMatchObject({ overdue: true, escalationLevel: 2 });
    expect(record!.involvedUnitIds).toEqual(expect.arrayContaining(['chaoyang-gov', 'city-joint-office']));

    // The city level answers late; the unit finally accepts: on time again in the new stage.
    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('city-joint-office'),
      opinion: '请街道立即签收',
    });
    expect(c.escalations![1]).toMatchObject({ status: 'answered', opinion: '请街道立即签收' });
    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    expect(c).toMatchObject({ stage: 'handling', overdue: false });
    expect(c.overdueSince).toBeUndefined();
    await appeal.saveHistoryAsFixture('acceptance-reminders-window');
  });

  it('objection upheld on review: the same unit handles it, and the buck-passing is recorded', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    let c = await appeal.act(d.objectToDispatchUpdate, { by: unit('chaoyang-jianwai'), reason: '该路段属市政道路' });
    expect(c.stage).toBe('objection_review');
    expect(c.nextActor).toBe('center');
    expect(c.deadlines.objectionReview).toBe(plus(at(c, 'dispatch_objection'), hours(2)));
    c = await appeal.act(d.decideObjectionUpdate, { by: center, decision: 'upheld', reason: '属街道管辖范围' });
    expect(c.stage).toBe('awaiting_acceptance');
    expect(c.leadUnitId).toBe('chaoyang-jianwai');
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(records).toEqual([expect.objectContaining({ unitId: 'chaoyang-jianwai', kind: 'objection_rejected' })]);
    // Upheld, the order is the unit's: it cannot object again and send the case back to review.
    const again = await appeal.refused(d.objectToDispatchUpdate, { by: unit('chaoyang-jianwai'), reason: '再次异议' });
    expect(again.type).toBe(ErrorType.ActionNotAllowed);
    expect(again.message).toMatch(
      /chaoyang-jianwai's objection of \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间） was reviewed and upheld: accept the order/,
    );
    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    expect(c.stage).toBe('handling');
  });

  it('objection granted: re-dispatched to another unit with fresh deadlines', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.objectToDispatchUpdate, { by: unit('chaoyang-jianwai'), reason: '该路段属市政道路' });
    await appeal.skip(hours(1));
    let c = await appeal.act(d.decideObjectionUpdate, {
      by: center,
      decision: 'redispatch',
      reason: '改派市城管委',
      newUnitId: 'city-urban-management',
    });
    expect(c.stage).toBe('awaiting_acceptance');
    expect(c.leadUnitId).toBe('city-urban-management');
    const redispatchedAt = c.timeline.filter((e) => e.type === 'dispatched').at(-1)!.at;
    expect(c.deadlines.handling).toBe(plus(redispatchedAt, days(7)));
    // The unit that objected is told, and the new one is dispatched.
    const told = (await appeal.notifications()).map((n) => `${n.to} ${n.kind}`);
    expect(told).toContain('unit:chaoyang-jianwai objection_granted');
    expect(told).toContain('unit:city-urban-management dispatched');
    // The unit that objected can no longer act on the order.
    const refused = await appeal.refused(d.acceptDispatchUpdate, { by: unit('chaoyang-jianwai') });
    expect(refused.type).toBe(ErrorType.ActionForbidden);
    // The new unit has not objected to this dispatch: its own objection is open to it (not sent here).
    expect(c.objection?.unitId).toBe('chaoyang-jianwai');
    c = await appeal.act(d.acceptDispatchUpdate, { by: unit('city-urban-management') });
    expect(c.stage).toBe('handling');
    await appeal.saveHistoryAsFixture('objection-redispatch');
  });
});
