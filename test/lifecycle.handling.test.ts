/** Handling (Art. 16-18, 22), callback (Art. 24) and escalation, on the time-skipping server. */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import {
  center,
  coordinator,
  days,
  hours,
  plus,
  useScenarioWorld,
  unit,
  type AppealScenario,
} from './harness/scenario.js';
import * as d from '../workflows/appeal/definitions.js';
import { ErrorType } from '../domain/errors.js';
import { coHandlingWorkflowId } from '../workflows/coHandler/definitions.js';
import type { coHandlingWorkflow } from '../workflows/coHandler/workflow.js';
import { CoHandlerUnit, Overdue } from '../workflows/searchAttributes.js';
import { accountabilityRecords, assessments } from '../db/schema/index.js';
import { listAuditEvents } from '../db/queries/cases.js';
import { createDeadlineActivities } from '../activities/deadlines/index.js';
import { testLogger } from './support/logger.js';

const t = useScenarioWorld();

const street = 'chaoyang-jianwai';

/** A road-damage appeal in Jianwai street (general policy: 7 natural days), accepted by the street. */
const acceptedAppeal = (): Promise<AppealScenario> =>
  t.world.acceptedAppeal({ categoryCode: 'urban.road_damage', districtId: 'chaoyang', streetId: street });

describe('co-handling units', () => {
  it('a late co-handler shows as overdue in its own child workflow and must give a reason with its report', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.addCoHandlerUpdate, {
      by: unit(street),
      unitId: 'city-urban-management',
      task: '核实路面塌陷原因',
    });
    const co = c.coHandlers[0]!;
    expect(co).toMatchObject({ unitId: 'city-urban-management', status: 'open' });
    expect(co.dueAt).toBe(plus(c.timeline.find((e) => e.type === 'co_handler_added')!.at, days(5)));
    expect(Date.parse(co.dueAt)).toBeLessThan(Date.parse(c.deadlines.handling!));

    c = await appeal.skipTo(co.dueAt);
    expect(c.coHandlers[0]!.status).toBe('late');
    const child = t.world.env.client.workflow.getHandle<typeof coHandlingWorkflow>(
      coHandlingWorkflowId(appeal.appealId, 'city-urban-management'),
    );
    const childDescription = await child.describe();
    expect(childDescription.typedSearchAttributes.get(CoHandlerUnit)).toBe('city-urban-management');
    expect(childDescription.typedSearchAttributes.get(Overdue)).toBe(true);

    const refused = await appeal.refused(d.reportCoHandlerPartUpdate, {
      by: unit('city-urban-management'),
      report: '已核实',
    });
    expect(refused.type).toBe(ErrorType.InvalidAction);
    expect(refused.message).toContain('lateReason');
    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit('city-urban-management'),
      report: '阶段性报告：已完成勘察',
      lateReason: '需等待管线单位配合',
      interim: true,
    });
    expect(c.coHandlers[0]!.status).toBe('late');
    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit('city-urban-management'),
      report: '已完成修复方案',
      lateReason: '需等待管线单位配合',
    });
    expect(c.coHandlers[0]!.status).toBe('done');
    const outcome = await child.result();
    expect(outcome).toMatchObject({
      unitId: 'city-urban-management',
      status: 'done',
      late: true,
      lateReason: '需等待管线单位配合',
    });
    await appeal.saveHistoryAsFixture('co-handler-late');
  });
});

describe('whistle (街乡吹哨、部门报到)', () => {
  it('a street lead summons a department, which reports in within its window', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: ['city-urban-enforcement'],
      reason: '占道经营需执法',
    });
    expect(c.whistle!.departments).toEqual([
      {
        unitId: 'city-urban-enforcement',
        status: 'open',
        dueAt: plus(c.timeline.find((e) => e.type === 'whistle')!.at, hours(24)),
      },
    ]);
    const notSummoned = await appeal.refused(d.reportInUpdate, { by: unit('city-transport'), note: '到' });
    expect(notSummoned.type).toBe(ErrorType.ActionForbidden);
    c = await appeal.act(d.reportInUpdate, { by: unit('city-urban-enforcement'), note: '已派员到场' });
    expect(c.whistle!.departments[0]!.status).toBe('done');
  });

  it('only a street or township lead may blow the whistle', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'traffic.public_transport' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('city-transport') });
    const refused = await appeal.refused(d.blowWhistleUpdate, {
      by: unit('city-transport'),
      departmentIds: ['city-urban-enforcement'],
      reason: 'x',
    });
    expect(refused.type).toBe(ErrorType.ActionForbidden);
  });
});

describe('extension (Art. 17)', () => {
  it('approved: the deadline moves by the extension window from the old deadline, the requester is told', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    const oldDue = c.deadlines.handling!;
    expect(c.extension?.status).toBe('requested');
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '理由充分' });
    expect(c.extension?.status).toBe('approved');
    expect(c.deadlines.handling).toBe(plus(oldDue, days(7)));
    expect(c.dueAt).toBe(c.deadlines.handling);
    const told = (await appeal.notifications()).filter((n) => n.kind === 'extension_decided').map((n) => n.to);
    expect(told).toEqual(['requester', `unit:${street}`]);
    c = await appeal.skipTo(oldDue);
    expect(c.overdue).toBe(false);
    expect(c.escalationLevel).toBe(0);
    // The extended deadline is a deadline like any other: missing it escalates.
    c = await appeal.skipTo(c.deadlines.handling!);
    expect(c.overdue).toBe(true);
    expect(c.escalationLevel).toBe(1);
  });

  it('denied: the deadline stays', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '工作量大' });
    const oldDue = c.deadlines.handling;
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: false, reason: '理由不充分' });
    expect(c.extension?.status).toBe('denied');
    expect(c.deadlines.handling).toBe(oldDue);
  });

  it('still waiting when the result comes: it lapses, and no one owes a decision on it', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    expect(c.pendingActors).toContain('center');
    const oldDue = c.deadlines.handling;
    c = await appeal.act(d.reportResultUpdate, { by: unit(street), outcome: 'resolved', summary: '已修复' });
    expect(c.stage).toBe('result_reported');
    expect(c.extension).toMatchObject({ status: 'lapsed', decisionReason: '办理结果已报送，延期申请无需审批' });
    expect(c.extension?.decidedAt).toBe(c.result?.at);
    expect(c.deadlines.handling).toBe(oldDue);
    // The center now owes the callback only, not an extension decision.
    expect(c.nextActor).toBe('center');
    const refused = await appeal.refused(d.decideExtensionUpdate, { by: center, approved: true, reason: '同意' });
    expect(refused.type).toBe(ErrorType.ActionNotAllowed);
  });

  it('asked after the deadline: refused (the case is in its callback), with no history event', async () => {
    const appeal = await acceptedAppeal();
    const c = await appeal.skipTo(plus((await appeal.state()).deadlines.handling!, hours(1)));
    expect(c.stage).toBe('callback');
    const before = await appeal.updateEventCount();
    const refused = await appeal.refused(d.requestExtensionUpdate, { by: unit(street), reason: '来不及' });
    expect(refused.type).toBe(ErrorType.ActionNotAllowed);
    expect(refused.message).toContain('requestExtension is not allowed in stage callback');
    expect(await appeal.updateEventCount()).toBe(before);
  });
});

describe('tiered coordination (Art. 22) and escalation at breach', () => {
  it('voluntary coordination: the district government answers with an opinion', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'chaoyang-gov',
      reason: '涉及多部门',
    });
    expect(c.coordination).toMatchObject({
      coordinatorId: 'chaoyang-gov',
      status: 'requested',
      dueAt: plus(c.timeline.find((e) => e.type === 'coordination_requested')!.at, days(2)),
    });
    const wrong = await appeal.refused(d.giveCoordinationOpinionUpdate, {
      by: coordinator('haidian-gov'),
      opinion: 'x',
    });
    expect(wrong.type).toBe(ErrorType.ActionForbidden);
    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('chaoyang-gov'),
      opinion: '由街道牵头，区城管委配合',
    });
    expect(c.coordination).toMatchObject({ status: 'answered', opinion: '由街道牵头，区城管委配合' });
  });

  it('at the breach: red light, accountability, escalation to the district government, and the callback at once', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.state();
    const due = c.deadlines.handling!;
    c = await appeal.skipTo(due);
    // The callback starts when the deadline expires (Art. 24); escalation runs alongside it.
    expect(c).toMatchObject({ stage: 'callback', overdue: true, overdueSince: due, escalationLevel: 1 });
    expect(c.callback).toMatchObject({ trigger: 'deadline', attempts: 1 });
    expect(c.escalations).toEqual([
      expect.objectContaining({ level: 1, coordinatorId: 'chaoyang-gov', cause: 'handling', status: 'requested' }),
    ]);
    const told = await appeal.notifications();
    expect(told).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: `unit:${street}`, kind: 'red_light' }),
        expect.objectContaining({ to: 'coordinator:chaoyang-gov', kind: 'escalation' }),
      ]),
    );
    const records = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(records).toEqual([expect.objectContaining({ unitId: street, kind: 'overdue_handling' })]);
    // The district government answers within its window: no further tier.
    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('chaoyang-gov'),
      opinion: '责成街道三日内修复',
    });
    expect(c.escalations![0]).toMatchObject({ status: 'answered', opinion: '责成街道三日内修复' });
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'basically_satisfied',
      channel: 'sms',
    });
    // Closed with no result ever reported: it stays overdue, since the deadline it missed.
    expect(c).toMatchObject({ stage: 'closed', overdue: true, overdueSince: due, escalationLevel: 1 });
    expect(c.callback).toMatchObject({ reached: true, channel: 'sms', trigger: 'deadline' });
    expect((await appeal.notifications()).filter((n) => n.kind === 'case_closed')).toEqual([
      expect.objectContaining({
        to: `unit:${street}`,
        message: expect.stringMatching(/已办结。回访评价：基本满意。$/) as unknown,
      }),
    ]);
    await appeal.expectVirtualTimeMoved(days(7));
    // Recorded since `closed-stays-overdue` under a name of its own: `escalation-at-breach` of this
    // era is the same case recorded before, put back on time at its close.
    await appeal.saveHistoryAsFixture('escalation-at-breach-stays-overdue');
  });

  it('a silent tier is late, and the case climbs to the city level while the callback runs', async () => {
    // An open manhole (emergency policy: 2 h to handle, 1 h for an opinion, call-back attempts 2 h apart).
    const appeal = await t.world.acceptedAppeal({
      categoryCode: 'urban.manhole',
      districtId: 'chaoyang',
      streetId: street,
    });
    let c = await appeal.skipTo((await appeal.state()).deadlines.handling!);
    const firstDue = c.escalations![0]!.dueAt;
    c = await appeal.act(d.recordCallbackUpdate, { by: center, reached: false, channel: 'phone' });
    c = await appeal.skipTo(firstDue);
    expect(c.escalations!.map((e) => [e.level, e.coordinatorId, e.status])).toEqual([
      [1, 'chaoyang-gov', 'late'],
      [2, 'city-joint-office', 'requested'],
    ]);
    const late = await t.database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, appeal.appealId));
    expect(late.map((r) => [r.unitId, r.kind]).sort()).toEqual([
      ['chaoyang-gov', 'late_coordination_opinion'],
      [street, 'overdue_handling'],
    ]);
  });
});

describe('callback (Art. 24)', () => {
  it('unreachable after every attempt: the case closes with the callback unreached', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'utilities.water.outage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
    // Utilities: the policy calls back as soon as the result is reported.
    let c = await appeal.act(d.reportResultUpdate, {
      by: unit('beijing-water'),
      outcome: 'resolved',
      summary: '已恢复供水',
    });
    expect(c.stage).toBe('callback');
    // The case counted the callback's window itself, by the rules its dispatch plan brought: the
    // same instant the deadline activity gives for the policy version, and no activity for it.
    const computed = await createDeadlineActivities({ db: t.database.db, log: testLogger }).computeDeadlines({
      policyCode: c.policy!.code,
      policyVersion: c.policy!.version,
      from: c.result!.at,
      windows: ['callbackWindow'],
    });
    expect(c.deadlines.callbackWindow).toBe(computed.deadlines.callbackWindow);
    const scheduled = ((await appeal.handle.fetchHistory()).events ?? []).map(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name,
    );
    expect(scheduled).not.toContain('computeDeadlines');
    c = await appeal.act(d.recordCallbackUpdate, { by: center, reached: false });
    c = await appeal.skip(hours(4));
    expect(c.callback?.attempts).toBe(2);
    c = await appeal.skip(hours(4));
    expect(c.callback?.attempts).toBe(3);
    c = await appeal.skip(hours(4));
    expect(c.stage).toBe('closed');
    expect(c.callback).toMatchObject({ attempts: 3, reached: false });
    const events = await listAuditEvents(t.database.db, appeal.appealId);
    expect(events.filter((e) => e.type === 'callback_attempt')).toHaveLength(3);
    expect(events.map((e) => e.type)).toContain('callback_unreachable');
    // The lead hears its case closed, and how the callback went.
    const closedNotices = (await appeal.notifications()).filter((n) => n.kind === 'case_closed');
    expect(closedNotices).toEqual([
      expect.objectContaining({
        to: 'unit:beijing-water',
        message: expect.stringMatching(/已办结。回访未能联系到诉求人。$/) as unknown,
      }),
    ]);
    await appeal.saveHistoryAsFixture('callback-on-result');
  });

  it('unsatisfied: the center orders re-handling with a new deadline, and the second callback closes it', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'utilities.water.outage' });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
    await appeal.act(d.reportResultUpdate, { by: unit('beijing-water'), outcome: 'resolved', summary: '已恢复供水' });
    let c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'unsatisfied',
    });
    expect(c.stage).toBe('callback');
    c = await appeal.act(d.orderRehandlingUpdate, { by: center, reason: '水压仍不足' });
    expect(c.stage).toBe('rehandling');
    expect(c.deadlines.rehandling1).toBe(plus(c.timeline.find((e) => e.type === 'rehandling_ordered')!.at, hours(24)));
    c = await appeal.act(d.reportResultUpdate, {
      by: unit('beijing-water'),
      outcome: 'resolved',
      summary: '已更换加压泵',
    });
    expect(c.stage).toBe('callback');
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'basically_satisfied',
    });
    expect(c.stage).toBe('closed');
    expect(c.rehandlings).toBe(1);
    const rows = await t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
    expect(rows).toEqual([
      expect.objectContaining({ unitId: 'beijing-water', resolved: true, satisfaction: 'basically_satisfied' }),
    ]);
    await appeal.saveHistoryAsFixture('rehandling');
  });
});
