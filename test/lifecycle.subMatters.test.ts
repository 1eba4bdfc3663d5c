/**
 * The sub-matters of handling, on the time-skipping server with the real worker and Postgres:
 * late and silent co-handlers and their deadlines (Art. 16), a late whistle report-in (Art. 18),
 * extensions approved, pending at the deadline, denied or approved after it (Art. 17), a late
 * coordination opinion (Art. 22), the rules table's refusals, and the yellow-light warnings;
 * what the units sent, and the sub-matters a later one took the place of, kept in the case.
 * Each asserts the records, who was told what, and the case.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { ApplicationFailure, UpdateDefinition } from '@temporalio/common';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
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
import { ACTION_RULES, type ActionName } from '../domain/actions.js';
import { ErrorType } from '../domain/errors.js';
import { coHandlingWorkflowId } from '../workflows/coHandler/definitions.js';
import type { coHandlingWorkflow } from '../workflows/coHandler/workflow.js';
import { DueAt } from '../workflows/searchAttributes.js';
import type { Notification } from '../activities/notifications/index.js';
import { accountabilityRecords, assessments } from '../db/schema/index.js';
import { getAppealRecord, listAuditEvents } from '../db/queries/cases.js';
import { beijingTimeText } from '../domain/requesterMessages.js';

const t = useScenarioWorld();

const street = 'chaoyang-jianwai';
const lead = `unit:${street}`;

/** A road-damage appeal in Jianwai street (general policy: 7 natural days), accepted by the street. */
const acceptedAppeal = (): Promise<AppealScenario> =>
  t.world.acceptedAppeal({ categoryCode: 'urban.road_damage', districtId: 'chaoyang', streetId: street });

async function accountabilityOf(appeal: AppealScenario) {
  return t.database.db.select().from(accountabilityRecords).where(eq(accountabilityRecords.appealId, appeal.appealId));
}

async function assessmentsOf(appeal: AppealScenario) {
  return t.database.db.select().from(assessments).where(eq(assessments.appealId, appeal.appealId));
}

/** The audit event a record stems from. */
async function auditTypeOf(appeal: AppealScenario, stepKey: string | null): Promise<string | undefined> {
  return (await listAuditEvents(t.database.db, appeal.appealId)).find((e) => e.stepKey === stepKey)?.type;
}

/** Waits until the case shows what a child workflow or a timer elsewhere has told it. */
async function until(appeal: AppealScenario, holds: (c: d.AppealCase) => boolean, what: string): Promise<d.AppealCase> {
  for (let i = 0; i < 200; i++) {
    const c = await appeal.settle();
    if (holds(c)) return c;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`appeal ${appeal.appealId}: ${what} never happened`);
}

/** Refused, and nothing entered the history. */
async function refusedWithoutTrace<I>(
  appeal: AppealScenario,
  update: UpdateDefinition<d.AppealCase, [I]>,
  input: I,
): Promise<ApplicationFailure> {
  const before = await appeal.updateEventCount();
  const failure = await appeal.refused(update, input);
  expect(await appeal.updateEventCount()).toBe(before);
  return failure;
}

function coHandlerChild(appeal: AppealScenario, unitId: string): WorkflowHandle<typeof coHandlingWorkflow> {
  return t.world.env.client.workflow.getHandle<typeof coHandlingWorkflow>(
    coHandlingWorkflowId(appeal.appealId, unitId),
  );
}

/** Notifications a child workflow sent (its own `notify` activities). */
async function childNotifications(handle: WorkflowHandle): Promise<Notification[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'notify') return [];
    return (scheduled.input?.payloads ?? []).map((p) =>
      defaultPayloadConverter.fromPayload<Notification>(p as Payload),
    );
  });
}

const kindsTo = (told: Notification[], kind: string): string[] => told.filter((n) => n.kind === kind).map((n) => n.to);
/** The text of the one notification of `kind` sent to `to`. */
/** A unit's or a street's name in the seeded directory: messages name parties so. */
const directoryNames = new Map<string, string>(
  ['units', 'streets'].flatMap((file) =>
    (
      JSON.parse(readFileSync(new URL(`../db/seed/data/${file}.json`, import.meta.url), 'utf8')) as {
        id: string;
        name: string;
      }[]
    ).map((u): [string, string] => [u.id, u.name]),
  ),
);
const nameOf = (id: string): string => directoryNames.get(id) ?? id;

const messageOf = (told: Notification[], kind: string, to: string): string => {
  const sent = told.filter((n) => n.kind === kind && n.to === to);
  expect(sent, `${kind} to ${to}`).toHaveLength(1);
  return sent[0]!.message;
};

describe('co-handling units (Art. 16)', () => {
  it('late: a final report needs an interim report and a reason first; the unit is recorded, the lead told', async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'city-urban-management';
    let c = await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实路面塌陷原因' });
    const dueAt = c.coHandlers[0]!.dueAt;
    await appeal.skipTo(dueAt);
    c = await until(appeal, (x) => x.coHandlers[0]!.status === 'late', 'the co-handler is late');

    const finalFirst = await refusedWithoutTrace(appeal, d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '已完成修复方案',
      lateReason: '需等待管线单位配合',
    });
    expect(finalFirst.type).toBe(ErrorType.InvalidAction);
    expect(finalFirst.message).toContain('an interim report (interim: true)');
    // Each refusal names its field, so the API answers `body/interim: …` and `body/lateReason: …`.
    expect(finalFirst.details?.[0]).toMatchObject({ field: 'interim' });
    const noReason = await refusedWithoutTrace(appeal, d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '阶段性报告：已完成勘察',
      interim: true,
    });
    expect(noReason.type).toBe(ErrorType.InvalidAction);
    expect(noReason.message).toContain('lateReason is required');
    expect(noReason.details?.[0]).toMatchObject({ field: 'lateReason' });

    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '阶段性报告：已完成勘察',
      lateReason: '需等待管线单位配合',
      interim: true,
    });
    expect(c.coHandlers[0]).toMatchObject({ status: 'late', lateReason: '需等待管线单位配合' });
    expect(c.coHandlers[0]!.interimAt).toBeDefined();
    // The reason given with the interim report stands for the final one.
    c = await appeal.act(d.reportCoHandlerPartUpdate, { by: unit(coUnit), report: '已完成修复方案' });
    expect(c.coHandlers[0]).toMatchObject({ status: 'done', lateReason: '需等待管线单位配合' });
    expect(c.stage).toBe('handling');
    expect(await coHandlerChild(appeal, coUnit).result()).toMatchObject({ unitId: coUnit, status: 'done', late: true });

    const records = await accountabilityOf(appeal);
    expect(records).toEqual([expect.objectContaining({ unitId: coUnit, kind: 'late_co_handler' })]);
    expect(await auditTypeOf(appeal, records[0]!.auditStepKey)).toBe('co_handler_overdue');
    const told = await appeal.notifications();
    expect(kindsTo(told, 'co_handler_overdue')).toEqual([lead]);
    expect(messageOf(told, 'co_handler_overdue', lead)).toContain(
      `协办单位 ${nameOf(coUnit)} 未在 ${beijingTimeText(dueAt)} 前报送`,
    );
    // The lead hears both reports; the co-handler itself was told by its own workflow.
    expect(kindsTo(told, 'co_handler_report')).toEqual([lead, lead]);
    expect(kindsTo(await childNotifications(coHandlerChild(appeal, coUnit)), 'co_handler_overdue')).toEqual([
      `unit:${coUnit}`,
    ]);
  });

  it('silent until the main deadline: its workflow ends missing, it is recorded, and it is assessed as not responding', async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'chaoyang-housing';
    let c = await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实产权' });
    const due = c.deadlines.handling!;
    const child = coHandlerChild(appeal, coUnit);

    // Past its own deadline, before the main one: late, still waited for.
    await appeal.skipTo(plus(due, -hours(2)));
    c = await until(appeal, (x) => x.coHandlers[0]!.status === 'late', 'the co-handler is late');
    expect((await child.describe()).status.name).toBe('RUNNING');
    expect(kindsTo(await appeal.notifications(), 'co_handler_no_report')).toEqual([]);

    await appeal.skipTo(due);
    c = await until(appeal, (x) => x.coHandlers[0]!.status === 'ended', 'the co-handler is ended');
    expect(await child.result()).toMatchObject({ unitId: coUnit, status: 'missing', late: true });
    expect(c.stage).toBe('callback');
    expect(c.pendingActors).not.toContain(`unit:${coUnit}`);

    const records = await accountabilityOf(appeal);
    expect(records.map((r) => [r.unitId, r.kind]).sort()).toEqual([
      [coUnit, 'co_handler_no_report'],
      [coUnit, 'late_co_handler'],
      [street, 'overdue_handling'],
    ]);
    const noReport = records.find((r) => r.kind === 'co_handler_no_report')!;
    expect(await auditTypeOf(appeal, noReport.auditStepKey)).toBe('co_handler_no_report');
    const told = await appeal.notifications();
    expect(kindsTo(told, 'co_handler_no_report')).toEqual([lead]);
    expect(messageOf(told, 'co_handler_no_report', lead)).toContain(`协办单位 ${nameOf(coUnit)} 在办理时限前未报送`);

    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
      channel: 'phone',
    });
    expect(c.stage).toBe('closed');
    const rows = await assessmentsOf(appeal);
    const byRole = (role: string) => rows.find((r) => r.role === role);
    expect(rows).toHaveLength(2);
    expect(byRole('lead')).toMatchObject({
      unitId: street,
      responded: true,
      resolved: true,
      satisfaction: 'satisfied',
      exempt: false,
    });
    // The requester's answers are the case's; beside them, the co-handler never reported.
    expect(byRole('co_handler')).toMatchObject({
      unitId: coUnit,
      responded: false,
      reported: false,
      callbackValid: true,
      resolved: true,
      satisfaction: 'satisfied',
      exempt: false,
    });
  });

  it('past the main deadline while the extension request waits, the part waits too; denied, it ends without its report', async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'chaoyang-housing';
    let c = await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实产权' });
    c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    const due = c.deadlines.handling!;
    const child = coHandlerChild(appeal, coUnit);
    // The lead's breach waits for the decision, and so does the co-handler's part: late, still open.
    await appeal.skipTo(plus(due, hours(1)));
    c = await until(appeal, (x) => x.overdue && x.coHandlers[0]!.status === 'late', 'the case waits on the decision');
    expect(c.stage).toBe('handling');
    expect((await child.describe()).status.name).toBe('RUNNING');
    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '阶段性报告：产权人联系中',
      lateReason: '产权人在外地',
      interim: true,
    });
    expect(c.coHandlers[0]).toMatchObject({ status: 'late', lateReason: '产权人在外地' });

    // Denied: the deadline stands, and the part ends without its final report.
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: false, reason: '理由不充分' });
    c = await until(appeal, (x) => x.coHandlers[0]!.status === 'ended', 'the co-handler is ended');
    expect(await child.result()).toMatchObject({ unitId: coUnit, status: 'missing', late: true });
    expect((await accountabilityOf(appeal)).map((r) => [r.unitId, r.kind])).toContainEqual([
      coUnit,
      'co_handler_no_report',
    ]);
    // What the child heard, in order: the request waits, then no longer.
    const heard = (await child.fetchHistory()).events!.flatMap((e) => {
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== 'extensionPending') return [];
      return (signal.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload<unknown>(p as Payload));
    });
    expect(heard).toEqual([{ pending: true }, { pending: false }]);
    await appeal.saveHistoryAsFixture('co-handler-extension-denied');
  });

  it('added while the extension request waits: it starts knowing of it, and waits past the main deadline for the decision', async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'chaoyang-housing';
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    c = await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实产权' });
    // Its deadline is in its part; the policy's window from now is no deadline of the case.
    expect(c.coHandlers[0]!.dueAt).toBeDefined();
    expect(c.deadlines.coHandler).toBeUndefined();
    const due = c.deadlines.handling!;
    const child = coHandlerChild(appeal, coUnit);
    await appeal.skipTo(plus(due, hours(1)));
    c = await until(appeal, (x) => x.overdue && x.coHandlers[0]!.status === 'late', 'the case waits on the decision');
    expect((await child.describe()).status.name).toBe('RUNNING');
    // Approved: the part runs on to the new deadline.
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '理由充分' });
    expect(c.coHandlers[0]!.status).toBe('late');
    expect((await child.describe()).status.name).toBe('RUNNING');
    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '阶段性报告：产权已核实',
      lateReason: '产权人在外地',
      interim: true,
    });
    c = await appeal.act(d.reportCoHandlerPartUpdate, { by: unit(coUnit), report: '产权已核实' });
    expect(c.coHandlers[0]!.status).toBe('done');
    expect(await child.result()).toMatchObject({ unitId: coUnit, status: 'done', late: true });
  });

  it('added with less time left than the margin: due at the main deadline, not in the past', async () => {
    const appeal = await acceptedAppeal();
    const due = (await appeal.state()).deadlines.handling!;
    await appeal.skipTo(plus(due, -hours(0.5)));
    const c = await appeal.act(d.addCoHandlerUpdate, {
      by: unit(street),
      unitId: 'city-urban-management',
      task: '紧急核实',
    });
    const co = c.coHandlers[0]!;
    const addedAt = c.timeline.find((e) => e.type === 'co_handler_added')!.at;
    expect(co.dueAt).toBe(due);
    expect(Date.parse(co.dueAt)).toBeGreaterThan(Date.parse(addedAt));
    expect(co.status).toBe('open');
    const child = await coHandlerChild(appeal, 'city-urban-management').describe();
    expect(child.typedSearchAttributes.get(DueAt)?.toISOString()).toBe(due);
    const told = await appeal.notifications();
    expect(kindsTo(told, 'co_handler_added')).toEqual(['unit:city-urban-management']);
    expect(messageOf(told, 'co_handler_added', 'unit:city-urban-management')).toContain(
      `请于 ${beijingTimeText(due)} 前向 ${nameOf(street)} 报送`,
    );
  });

  it('added a day before the deadline: due at the earlier of its own window and the margin before the deadline', async () => {
    const appeal = await acceptedAppeal();
    const due = (await appeal.state()).deadlines.handling!;
    await appeal.skipTo(plus(due, -days(1)));
    const c = await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: 'chaoyang-housing', task: '核实' });
    const addedAt = c.timeline.find((e) => e.type === 'co_handler_added')!.at;
    const ownWindow = Date.parse(plus(addedAt, days(5)));
    const marginBefore = Date.parse(plus(due, -hours(1)));
    expect(c.coHandlers[0]!.dueAt).toBe(new Date(Math.min(ownWindow, marginBefore)).toISOString());
    expect(c.coHandlers[0]!.dueAt).toBe(plus(due, -hours(1)));
  });
});

describe('whistle (Art. 18)', () => {
  it('a department that misses its window is late and recorded, both told; it still reports in, then a new whistle may blow', async () => {
    const appeal = await acceptedAppeal();
    const dept = 'city-urban-enforcement';
    let c = await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: [dept],
      reason: '占道经营需执法',
    });
    const dueAt = c.whistle!.departments[0]!.dueAt;
    expect(dueAt).toBe(plus(c.timeline.find((e) => e.type === 'whistle')!.at, hours(24)));

    const outsider = await refusedWithoutTrace(appeal, d.reportInUpdate, { by: unit('city-transport'), note: '到' });
    expect(outsider.type).toBe(ErrorType.ActionForbidden);
    const leadItself = await refusedWithoutTrace(appeal, d.reportInUpdate, { by: unit(street), note: '到' });
    expect(leadItself.type).toBe(ErrorType.ActionForbidden);

    c = await appeal.skipTo(dueAt);
    expect(c.whistle!.departments[0]!.status).toBe('late');
    expect(c.pendingActors).toContain(`unit:${dept}`);
    const records = await accountabilityOf(appeal);
    expect(records).toEqual([expect.objectContaining({ unitId: dept, kind: 'late_report_in' })]);
    expect(await auditTypeOf(appeal, records[0]!.auditStepKey)).toBe('report_in_overdue');
    expect(kindsTo(await appeal.notifications(), 'report_in_overdue').sort()).toEqual([lead, `unit:${dept}`].sort());

    const tooSoon = await refusedWithoutTrace(appeal, d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: ['city-transport'],
      reason: '需交通部门',
    });
    expect(tooSoon.type).toBe(ErrorType.ActionNotAllowed);
    expect(tooSoon.message).toContain('summoned departments have not all reported in');

    c = await appeal.act(d.reportInUpdate, { by: unit(dept), note: '已派员到场' });
    expect(c.whistle!.departments[0]).toMatchObject({ unitId: dept, status: 'done' });
    expect(c.pendingActors).not.toContain(`unit:${dept}`);
    expect(kindsTo(await appeal.notifications(), 'report_in')).toEqual([lead]);

    c = await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: ['city-transport'],
      reason: '需交通部门',
    });
    // The first whistle's department stays a party of the case, with its report-in.
    expect(c.whistle!.departments).toEqual([
      expect.objectContaining({ unitId: dept, status: 'done' }),
      expect.objectContaining({ unitId: 'city-transport', status: 'open' }),
    ]);
    expect((await getAppealRecord(t.database.db, appeal.appealId))!.involvedUnitIds).toEqual(
      expect.arrayContaining([dept, 'city-transport']),
    );
    const events = await listAuditEvents(t.database.db, appeal.appealId);
    expect(events.filter((e) => e.type === 'whistle')).toHaveLength(2);
    expect(events.find((e) => e.type === 'report_in')).toMatchObject({ actor: `unit:${dept}`, reason: '已派员到场' });
    // Only the one late report-in is on record.
    expect(await accountabilityOf(appeal)).toHaveLength(1);
  });
});

describe('extension (Art. 17)', () => {
  it('approved: the requester hears the reason, open co-handlers hear the new deadline; missing the extended one is its own breach', async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'city-urban-management';
    await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实路面塌陷原因' });
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位，产权人在外地' });
    expect(c.pendingActors).toContain('center');
    const oldDue = c.deadlines.handling!;
    const newDue = plus(oldDue, days(7));
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '理由充分' });
    expect(c).toMatchObject({ stage: 'handling', overdue: false, dueAt: newDue });
    expect(c.deadlines).toMatchObject({ handling: newDue, extendedHandling: newDue });
    expect(c.extension).toMatchObject({ status: 'approved', decisionReason: '理由充分' });
    const told = await appeal.notifications();
    const toRequester = told.find((n) => n.kind === 'extension_decided' && n.to === 'requester')!;
    expect(toRequester.message).toContain('需协调产权单位，产权人在外地');
    expect(toRequester.message).toContain(beijingTimeText(newDue));
    expect(told.find((n) => n.kind === 'extension_decided' && n.to === lead)!.message).toContain(
      `延期申请已批准（理由充分），办理时限至 ${beijingTimeText(newDue)}`,
    );
    const approved = (await listAuditEvents(t.database.db, appeal.appealId)).find(
      (e) => e.type === 'extension_approved',
    );
    expect(approved).toMatchObject({ actor: 'center', reason: '理由充分', payload: { handling: newDue } });

    // The co-handler's workflow heard the new main deadline and waits past the old one.
    const child = coHandlerChild(appeal, coUnit);
    const heard = (await child.fetchHistory()).events!.flatMap((e) => {
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== 'mainDeadlineMoved') return [];
      return (signal.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload<unknown>(p as Payload));
    });
    expect(heard).toEqual([{ mainDueAt: newDue }]);
    await appeal.skipTo(plus(oldDue, hours(1)));
    c = await until(appeal, (x) => x.coHandlers[0]!.status === 'late', 'the co-handler is late');
    expect(c).toMatchObject({ stage: 'handling', overdue: false, escalationLevel: 0 });
    expect((await child.describe()).status.name).toBe('RUNNING');
    c = await appeal.settle();
    expect(c.coHandlers[0]!.status).toBe('late');
    expect(kindsTo(await appeal.notifications(), 'co_handler_no_report')).toEqual([]);
    expect((await accountabilityOf(appeal)).map((r) => r.kind)).toEqual(['late_co_handler']);

    // The extended deadline passes without a result.
    await appeal.skipTo(newDue);
    c = await until(
      appeal,
      (x) => x.stage === 'callback' && x.coHandlers[0]!.status === 'ended',
      'the callback with the co-handler ended',
    );
    expect(c).toMatchObject({ overdue: true, overdueSince: newDue, escalationLevel: 1 });
    expect(c.callback).toMatchObject({ trigger: 'deadline', attempts: 1 });
    expect(c.escalations).toEqual([
      expect.objectContaining({ level: 1, coordinatorId: 'chaoyang-gov', cause: 'handling', status: 'requested' }),
    ]);
    expect(await child.result()).toMatchObject({ status: 'missing' });
    const records = await accountabilityOf(appeal);
    expect(records.filter((r) => r.unitId === street).map((r) => r.kind)).toEqual(['overdue_extended_handling']);
    const after = await appeal.notifications();
    expect(kindsTo(after, 'red_light')).toEqual([lead]);
    expect(messageOf(after, 'red_light', lead)).toContain(`已超过延长后的办理时限 ${beijingTimeText(newDue)}`);
    expect(after).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: 'coordinator:chaoyang-gov', kind: 'escalation' })]),
    );
  });

  it('pending at the deadline: the case waits on the center, overdue; a denial then breaches at once', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需等待鉴定结果' });
    const due = c.deadlines.handling!;
    c = await appeal.skipTo(due);
    expect(c).toMatchObject({
      stage: 'handling',
      overdue: true,
      overdueSince: due,
      nextActor: 'center',
      escalationLevel: 0,
    });
    expect(c.callback).toBeUndefined();
    c = await appeal.skip(hours(3));
    expect(c).toMatchObject({ stage: 'handling', overdue: true, nextActor: 'center' });
    expect(await accountabilityOf(appeal)).toEqual([]);
    expect(kindsTo(await appeal.notifications(), 'red_light')).toEqual([]);
    expect((await listAuditEvents(t.database.db, appeal.appealId)).map((e) => e.type)).toContain(
      'handling_deadline_extension_pending',
    );

    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: false, reason: '理由不充分' });
    const decidedAt = Date.parse(c.extension!.decidedAt!);
    expect(c.deadlines.handling).toBe(due);
    c = await until(appeal, (x) => x.stage === 'callback', 'the callback');
    expect(c).toMatchObject({ overdue: true, overdueSince: due, escalationLevel: 1 });
    expect(c.callback).toMatchObject({ trigger: 'deadline', attempts: 1 });
    expect(c.escalations).toEqual([
      expect.objectContaining({ level: 1, coordinatorId: 'chaoyang-gov', cause: 'handling', status: 'requested' }),
    ]);
    const records = await accountabilityOf(appeal);
    expect(records).toEqual([expect.objectContaining({ unitId: street, kind: 'overdue_handling' })]);
    // Written when the center denied, not back-dated to the deadline.
    expect(records[0]!.at.getTime()).toBeGreaterThanOrEqual(decidedAt);
    expect(records[0]!.at.getTime() - decidedAt).toBeLessThan(hours(1));
    expect(await auditTypeOf(appeal, records[0]!.auditStepKey)).toBe('handling_overdue');
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: lead, kind: 'red_light' }),
        expect.objectContaining({ to: 'coordinator:chaoyang-gov', kind: 'escalation' }),
      ]),
    );
  });

  it('pending at the deadline, then approved: the new deadline runs from the old one and the case is on time again', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需等待鉴定结果' });
    const due = c.deadlines.handling!;
    c = await appeal.skipTo(due);
    expect(c).toMatchObject({ overdue: true, nextActor: 'center' });
    await appeal.skip(hours(2));
    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '同意延期' });
    const newDue = plus(due, days(7));
    expect(c.deadlines.handling).toBe(newDue);
    c = await appeal.settle();
    expect(c).toMatchObject({ stage: 'handling', overdue: false, dueAt: newDue, nextActor: lead, escalationLevel: 0 });
    expect(c.overdueSince).toBeUndefined();
    expect(c.callback).toBeUndefined();
    c = await appeal.skip(days(1));
    expect(c).toMatchObject({ stage: 'handling', overdue: false });
    expect(await accountabilityOf(appeal)).toEqual([]);
    const told = await appeal.notifications();
    expect(kindsTo(told, 'red_light')).toEqual([]);
    expect(told.find((n) => n.kind === 'extension_decided' && n.to === 'requester')!.message).toContain(
      beijingTimeText(newDue),
    );
  });
});

describe('coordination (Art. 22)', () => {
  it('the district government misses its window: late, recorded, told; its late opinion still counts; one request at a time', async () => {
    const appeal = await acceptedAppeal();
    let c = await appeal.act(d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'chaoyang-gov',
      reason: '涉及多部门',
    });
    const dueAt = c.coordination!.dueAt;
    expect(c.pendingActors).toContain('coordinator:chaoyang-gov');
    const second = await refusedWithoutTrace(appeal, d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'sector-transport',
      reason: '再请一个',
    });
    expect(second.type).toBe(ErrorType.ActionNotAllowed);
    expect(second.message).toContain('a coordination request is already open');

    c = await appeal.skipTo(dueAt);
    expect(c.coordination).toMatchObject({ coordinatorId: 'chaoyang-gov', status: 'late' });
    expect(c.pendingActors).toContain('coordinator:chaoyang-gov');
    const records = await accountabilityOf(appeal);
    expect(records).toEqual([expect.objectContaining({ unitId: 'chaoyang-gov', kind: 'late_coordination_opinion' })]);
    expect(await auditTypeOf(appeal, records[0]!.auditStepKey)).toBe('coordination_overdue');
    expect(kindsTo(await appeal.notifications(), 'coordination_overdue')).toEqual(['coordinator:chaoyang-gov']);

    const stillOpen = await refusedWithoutTrace(appeal, d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'chaoyang-gov',
      reason: '再次请求',
    });
    expect(stillOpen.type).toBe(ErrorType.ActionNotAllowed);
    const otherDistrict = await refusedWithoutTrace(appeal, d.giveCoordinationOpinionUpdate, {
      by: coordinator('haidian-gov'),
      opinion: '不归我区',
    });
    expect(otherDistrict.type).toBe(ErrorType.ActionForbidden);

    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('chaoyang-gov'),
      opinion: '由街道牵头，区城管委配合',
    });
    expect(c.coordination).toMatchObject({ status: 'answered', opinion: '由街道牵头，区城管委配合' });
    expect(c.pendingActors).not.toContain('coordinator:chaoyang-gov');
    expect(await appeal.notifications()).toEqual(
      expect.arrayContaining([expect.objectContaining({ to: lead, kind: 'coordination_opinion' })]),
    );
    expect(await accountabilityOf(appeal)).toHaveLength(1);
  });
});

describe('the rules table', () => {
  async function expectWrongStage<I>(
    appeal: AppealScenario,
    action: ActionName,
    update: UpdateDefinition<d.AppealCase, [I]>,
    input: I,
    stage: string,
  ): Promise<void> {
    const failure = await refusedWithoutTrace(appeal, update, input);
    expect(failure.type).toBe(ErrorType.ActionNotAllowed);
    expect(failure.message).toBe(
      `${action} is not allowed in stage ${stage}: allowed in ${ACTION_RULES[action].stages.join(', ')}`,
    );
    expect(failure.details).toEqual([{ action, stage }]);
  }

  async function expectWrongParty<I>(
    appeal: AppealScenario,
    action: ActionName,
    update: UpdateDefinition<d.AppealCase, [I]>,
    input: I,
    who: string,
  ): Promise<void> {
    const failure = await refusedWithoutTrace(appeal, update, input);
    expect(failure.type).toBe(ErrorType.ActionForbidden);
    expect(failure.message).toContain(`${action} by ${who} is refused in stage handling`);
    expect(failure.details).toEqual([{ action, stage: 'handling', party: who }]);
  }

  it('an action in the wrong stage names the stage and where the table allows it; a wrong party is forbidden', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage', streetId: street });
    await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    const s = 'awaiting_acceptance';
    await expectWrongStage(
      appeal,
      'reportResult',
      d.reportResultUpdate,
      { by: unit(street), outcome: 'resolved', summary: '已修复' },
      s,
    );
    await expectWrongStage(
      appeal,
      'addCoHandler',
      d.addCoHandlerUpdate,
      { by: unit(street), unitId: 'chaoyang-housing', task: '核实' },
      s,
    );
    await expectWrongStage(appeal, 'requestExtension', d.requestExtensionUpdate, { by: unit(street), reason: 'x' }, s);

    await appeal.act(d.acceptDispatchUpdate, { by: unit(street) });
    const h = 'handling';
    await expectWrongStage(appeal, 'acceptDispatch', d.acceptDispatchUpdate, { by: unit(street) }, h);
    await expectWrongStage(appeal, 'triageAppeal', d.triageAppealUpdate, { by: center, disposition: 'dispatch' }, h);
    await expectWrongStage(
      appeal,
      'decideObjection',
      d.decideObjectionUpdate,
      { by: center, decision: 'upheld', reason: 'x' },
      h,
    );
    await expectWrongStage(
      appeal,
      'recordCallback',
      d.recordCallbackUpdate,
      { by: center, reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' },
      h,
    );
    await expectWrongStage(appeal, 'orderRehandling', d.orderRehandlingUpdate, { by: center, reason: 'x' }, h);

    await expectWrongParty(
      appeal,
      'reportResult',
      d.reportResultUpdate,
      { by: unit('haidian-wanshoulu'), outcome: 'resolved', summary: '已修复' },
      'unit:haidian-wanshoulu',
    );
    await expectWrongParty(
      appeal,
      'requestExtension',
      d.requestExtensionUpdate,
      { by: center, reason: '代为申请' },
      'center',
    );
    await expectWrongParty(
      appeal,
      'decideExtension',
      d.decideExtensionUpdate,
      { by: unit(street), approved: true, reason: '自己批准' },
      `unit:${street}`,
    );
    await expectWrongParty(
      appeal,
      'addCoHandler',
      d.addCoHandlerUpdate,
      { by: coordinator('chaoyang-gov'), unitId: 'chaoyang-housing', task: '核实' },
      'coordinator:chaoyang-gov',
    );
    await expectWrongParty(
      appeal,
      'reportCoHandlerPart',
      d.reportCoHandlerPartUpdate,
      { by: unit(street), report: '代报' },
      `unit:${street}`,
    );
    await expectWrongParty(
      appeal,
      'giveCoordinationOpinion',
      d.giveCoordinationOpinionUpdate,
      { by: coordinator('chaoyang-gov'), opinion: '未被请求' },
      'coordinator:chaoyang-gov',
    );

    const c = await appeal.state();
    expect(c).toMatchObject({ stage: 'handling', coHandlers: [], overdue: false });
    expect(c.extension).toBeUndefined();
    expect((await listAuditEvents(t.database.db, appeal.appealId)).map((e) => e.type)).not.toEqual(
      expect.arrayContaining(['co_handler_added', 'extension_requested', 'extension_approved', 'result_reported']),
    );
  });
});

describe('yellow-light warnings', () => {
  it('go to the lead unit at 50% and 75% of the handling time from acceptance, each once', async () => {
    const appeal = await acceptedAppeal();
    const c = await appeal.state();
    const accepted = Date.parse(c.timeline.find((e) => e.type === 'accepted')!.at);
    const due = Date.parse(c.deadlines.handling!);
    const at = (f: number) => accepted + (due - accepted) * f;
    /** Each yellow light as [to whom, the share of the handling time it says has passed]. */
    const warnings = async () =>
      (await appeal.notifications())
        .filter((n) => n.kind === 'deadline_warning')
        .map((n) => [n.to, /办理时间已过 (\d+)%/.exec(n.message)?.[1]]);
    const warningEvents = async () =>
      (await listAuditEvents(t.database.db, appeal.appealId)).filter((e) => e.type === 'deadline_warning');

    await appeal.skipTo(at(0.5) - 60_000);
    expect(await warnings()).toEqual([]);
    await appeal.skipTo(at(0.5));
    expect(await warnings()).toEqual([[lead, '50']]);
    await appeal.skipTo(at(0.75) - 60_000);
    expect(await warnings()).toHaveLength(1);
    await appeal.skipTo(at(0.75));
    await appeal.skipTo(due - 60_000);
    expect(await warnings()).toEqual([
      [lead, '50'],
      [lead, '75'],
    ]);
    const events = await warningEvents();
    expect(events.map((e) => e.payload)).toEqual([{ fraction: 0.5 }, { fraction: 0.75 }]);
    expect(Math.abs(events[0]!.at.getTime() - at(0.5))).toBeLessThan(5_000);
    expect(Math.abs(events[1]!.at.getTime() - at(0.75))).toBeLessThan(5_000);

    // Past the deadline: the red light, no more yellow ones.
    await appeal.skipTo(due);
    expect(await warnings()).toHaveLength(2);
    expect(kindsTo(await appeal.notifications(), 'red_light')).toEqual([lead]);
    await appeal.expectVirtualTimeMoved(days(7));
  });
});

describe('what the units sent, and the sub-matters a later one took the place of, stay in the case', () => {
  /** The messages of `kind` the lead unit was sent, in order. */
  const toLead = async (appeal: AppealScenario, kind: string): Promise<string[]> =>
    (await appeal.notifications()).filter((n) => n.kind === kind && n.to === lead).map((n) => n.message);

  it("a co-handler's interim and final reports: in the case and its record, and in the lead's notices", async () => {
    const appeal = await acceptedAppeal();
    const coUnit = 'city-urban-management';
    await appeal.act(d.addCoHandlerUpdate, { by: unit(street), unitId: coUnit, task: '核实路面塌陷原因' });
    let c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '阶段性报告：已完成勘察',
      interim: true,
    });
    const interim = { at: c.coHandlers[0]!.interimAt!, report: '阶段性报告：已完成勘察' };
    expect(c.coHandlers[0]).toMatchObject({ status: 'open', interimReports: [interim] });
    expect(c.coHandlers[0]!.report).toBeUndefined();

    c = await appeal.act(d.reportCoHandlerPartUpdate, {
      by: unit(coUnit),
      report: '塌陷系地下管线渗漏，已告知管线单位',
    });
    expect(c.coHandlers[0]).toMatchObject({
      status: 'done',
      report: '塌陷系地下管线渗漏，已告知管线单位',
      interimReports: [interim],
    });
    // The record the API reads the case from keeps them.
    const record = await getAppealRecord(t.database.db, appeal.appealId);
    expect(record!.currentCase!.coHandlers[0]).toMatchObject({
      report: '塌陷系地下管线渗漏，已告知管线单位',
      interimReports: [interim],
    });
    expect(await toLead(appeal, 'co_handler_report')).toEqual([
      expect.stringContaining('阶段性报告：已完成勘察'),
      expect.stringContaining('塌陷系地下管线渗漏，已告知管线单位'),
    ]);
  });

  it("report-in notes, and a second whistle keeps the first one's reason and its departments' report-ins", async () => {
    const appeal = await acceptedAppeal();
    const enforcement = 'city-urban-enforcement';
    let c = await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: [enforcement],
      reason: '占道经营需执法',
    });
    const firstBlownAt = c.whistle!.blownAt!;
    expect(firstBlownAt).toBe(c.timeline.find((e) => e.type === 'whistle')!.at);
    c = await appeal.act(d.reportInUpdate, { by: unit(enforcement), note: '已派员到场' });
    expect(c.whistle!.departments[0]).toMatchObject({ unitId: enforcement, status: 'done', note: '已派员到场' });

    c = await appeal.act(d.blowWhistleUpdate, {
      by: unit(street),
      departmentIds: [enforcement, 'city-transport'],
      reason: '需交通部门配合疏导',
    });
    expect(c.whistle).toMatchObject({
      reason: '需交通部门配合疏导',
      earlier: [
        {
          reason: '占道经营需执法',
          blownAt: firstBlownAt,
          departments: [expect.objectContaining({ unitId: enforcement, status: 'done', note: '已派员到场' })],
        },
      ],
    });
    // Summoned again: its new part is open; its earlier report-in stays with the earlier whistle.
    expect(c.whistle!.departments).toEqual([
      expect.objectContaining({ unitId: enforcement, status: 'open' }),
      expect.objectContaining({ unitId: 'city-transport', status: 'open' }),
    ]);
    expect(c.whistle!.departments[0]!.note).toBeUndefined();

    c = await appeal.act(d.reportInUpdate, { by: unit('city-transport'), note: '已安排交警疏导' });
    expect(c.whistle!.departments[1]).toMatchObject({ status: 'done', note: '已安排交警疏导' });
    expect(await toLead(appeal, 'report_in')).toEqual([
      expect.stringContaining('已派员到场'),
      expect.stringContaining('已安排交警疏导'),
    ]);
  });

  it('a second extension request keeps the first with its decision and the deadline it set', async () => {
    const appeal = await acceptedAppeal();
    await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    let c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '理由充分' });
    const extended = c.deadlines.handling!;
    expect(c.extension).toMatchObject({ status: 'approved', extendedTo: extended });

    c = await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '产权人仍未到场' });
    expect(c.extension).toMatchObject({ status: 'requested', reason: '产权人仍未到场' });
    const first = {
      status: 'approved',
      reason: '需协调产权单位',
      decisionReason: '理由充分',
      extendedTo: extended,
    };
    expect(c.earlierExtensions).toEqual([expect.objectContaining(first)]);

    c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: false, reason: '已延期一次' });
    expect(c.extension).toMatchObject({ status: 'denied', reason: '产权人仍未到场', decisionReason: '已延期一次' });
    expect(c.extension!.extendedTo).toBeUndefined();
    expect(c.earlierExtensions).toEqual([expect.objectContaining(first)]);
    expect(c.deadlines.handling).toBe(extended);
  });

  it('a second coordination request keeps the first with its opinion, and the first authority stays a party', async () => {
    const appeal = await acceptedAppeal();
    await appeal.act(d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'sector-transport',
      reason: '涉及道路管养',
    });
    await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('sector-transport'),
      opinion: '由区路政部门修复',
    });
    let c = await appeal.act(d.requestCoordinationUpdate, {
      by: unit(street),
      coordinatorId: 'city-joint-office',
      reason: '区路政部门不认领',
    });
    expect(c.coordination).toMatchObject({ coordinatorId: 'city-joint-office', status: 'requested' });
    expect(c.earlierCoordinations).toEqual([
      expect.objectContaining({
        coordinatorId: 'sector-transport',
        status: 'answered',
        reason: '涉及道路管养',
        opinion: '由区路政部门修复',
      }),
    ]);
    expect(d.involvedUnitIds(c)).toEqual(expect.arrayContaining(['sector-transport', 'city-joint-office']));
    expect((await getAppealRecord(t.database.db, appeal.appealId))!.involvedUnitIds).toEqual(
      expect.arrayContaining(['sector-transport', 'city-joint-office']),
    );
    // Still a party: it is told nothing waits on it, not that it has no part in the case.
    const again = await refusedWithoutTrace(appeal, d.giveCoordinationOpinionUpdate, {
      by: coordinator('sector-transport'),
      opinion: '补充意见',
    });
    expect(again.type).toBe(ErrorType.ActionNotAllowed);
    c = await appeal.act(d.giveCoordinationOpinionUpdate, {
      by: coordinator('city-joint-office'),
      opinion: '市级协调',
    });
    expect(c.coordination).toMatchObject({ status: 'answered', opinion: '市级协调' });
    expect(c.earlierCoordinations).toHaveLength(1);
  });
});
