/*
 * FROZEN: the appeal process as cases started before the `every-party` patch run it. Those cases
 * replay this code (test/fixtures/*.history.pb from before the patch prove it); nothing here
 * changes. Remove the folder (and `deprecatePatch` the id) once no case started before it is open.
 */
/**
 * One appeal (诉求), from intake to assessment, as one durable workflow. It reads like the
 * regulation: intake (Art. 11), triage (Art. 12), dispatch (Art. 14), acceptance and
 * objections (Art. 14, 16), handling with co-handlers, whistle, extension, coordination and
 * escalation (Art. 16-18, 21-23), result, callback (Art. 24), assessment (Art. 25, 29).
 *
 * Deadlines are instants computed by activities from the policy version the case keeps;
 * this code only compares instants and sets timers.
 */
import * as wf from '@temporalio/workflow';
import type { DispatchPlan, PolicyLimits } from '../../../activities/dispatch/index.js';
import { coHandlerWorkflow } from '../../coHandler/legacy/workflow.js';
import { coHandlerReportedSignal, coHandlerWorkflowId } from '../../coHandler/definitions.js';
import { describeParty, DUPLICATE_WINDOW_DAYS, type AppealCase, type WorkOrder } from '../definitions.js';
import { registerHandlers, type Inbox } from './handlers.js';
import { AppealRun, CaseEnded, records } from './run.js';
import { PATCHES } from '../../patches.js';
import { caseReasons, partyMessages } from '../../../domain/partyMessages.js';
import { requesterMessages } from '../../../domain/requesterMessages.js';

/** Re-handling orders after an unsatisfied callback, at most (then the case closes as it stands). */
const MAX_REHANDLINGS = 2;
/** Pre-breach warnings, as fractions of the handling time (yellow light). */
const WARNING_FRACTIONS = [0.5, 0.75];

export async function legacyAppealWorkflow(order: WorkOrder): Promise<AppealCase> {
  const run = new AppealRun(order);
  const inbox: Inbox = { coHandlersToStart: [], coHandlerReports: new Map() };
  registerHandlers(run, inbox);

  try {
    await intake(run);
    const dispatch = await triage(run, inbox);
    if (dispatch) {
      const limits = await records.getPolicyLimits({
        policyCode: dispatch.plan.policy.code,
        policyVersion: dispatch.plan.policy.version,
      });
      await dispatchAndAwaitAcceptance(run, inbox, dispatch, limits);
      for (;;) {
        await handle(run, inbox, limits);
        const next = await callBack(run, inbox, limits);
        if (next === 'closed') break;
        await orderRehandling(run, inbox);
      }
    }
  } catch (error) {
    if (!(error instanceof CaseEnded)) throw error;
  }
  await close(run);
  return run.snapshot();
}

/**
 * Art. 11: the work order is recorded; a risk to social stability is pushed at once. Art. 12-13:
 * the center is shown knowledge-base answers and possible originals before it triages.
 */
async function intake(run: AppealRun): Promise<void> {
  const { order } = run;
  await records.recordIntake(order);
  if (wf.patched(PATCHES.triageHints)) {
    const [knowledge, duplicates] = await Promise.all([
      records.searchKnowledgeBase({ question: order.content, categoryCode: order.categoryCode, limit: 3 }),
      records.findDuplicates({
        appealId: order.appealId,
        requesterPhone: order.requester.phone,
        categoryCode: order.categoryCode,
        districtId: order.districtId,
        streetId: order.streetId,
        at: order.receivedAt,
        windowDays: DUPLICATE_WINDOW_DAYS,
      }),
    ]);
    run.state.triageHints = {
      knowledge: knowledge.map(({ id, title, answer, score }) => ({ id, title, answer, score })),
      duplicates,
    };
  }
  run.publish();
  if (run.order.stabilityRisk) {
    run.notify('government', 'stability_risk', partyMessages.stabilityRisk(run.state, run.order));
    run.step('stability_risk_pushed', 'center');
  }
}

interface Dispatch {
  plan: DispatchPlan;
  leadUnitId: string;
}

/**
 * Art. 12: the center disposes of the appeal (each closing disposition ends it with a reason
 * and an answer) or dispatches it by the catalogue, after a consultation if complex.
 */
async function triage(run: AppealRun, inbox: Inbox): Promise<Dispatch | undefined> {
  const s = run.state;
  for (;;) {
    await run.waitUntil(() => inbox.triage !== undefined);
    const decision = inbox.triage!;
    inbox.triage = undefined;
    if (decision.disposition !== 'dispatch') {
      s.disposition = decision.disposition;
      s.answer = decision.answer;
      s.originalAppealId = decision.originalAppealId;
      run.notify('requester', 'triage_answer', requesterMessages.answer(s, decision.answer));
      run.step(`triage_${decision.disposition}`, describeParty(decision.by), {
        reason: decision.reason,
        payload: {
          answer: decision.answer,
          emergencyNumber: decision.emergencyNumber,
          legalChannel: decision.legalChannel,
          originalAppealId: decision.originalAppealId,
          knowledgeEntryId: decision.knowledgeEntryId,
        },
      });
      return undefined;
    }
    const plan = await records.planDispatch({
      appealId: s.appealId,
      appealType: s.appealType,
      categoryCode: s.categoryCode,
      districtId: s.districtId,
      streetId: s.streetId,
      at: run.now(),
    });
    s.policy = plan.policy;
    if (plan.calendarNote) s.calendarNote = plan.calendarNote;
    const leadUnitId = decision.unitId ?? plan.leadUnitId;
    if (!leadUnitId) {
      run.waitOn('center');
      run.step('manual_dispatch_needed', 'center', {
        reason: caseReasons.manualDispatchNeeded,
      });
      continue;
    }
    if (decision.consultation) return { plan, leadUnitId: await consult(run, inbox, plan, leadUnitId) };
    return { plan, leadUnitId };
  }
}

/** A complex appeal: the candidate units give opinions, the center names the lead unit. */
async function consult(run: AppealRun, inbox: Inbox, plan: DispatchPlan, proposed: string): Promise<string> {
  const s = run.state;
  const candidates = [...new Set([proposed, ...plan.candidateUnitIds])];
  s.consultation = { candidateUnitIds: candidates, opinions: [] };
  const { consultation: due } = await run.deadlinesFrom(run.now(), ['consultation']);
  run.enter('consultation', 'center', due);
  for (const unitId of candidates) run.notify(`unit:${unitId}`, 'consultation', partyMessages.consultation(s, due!));
  run.step('consultation_opened', 'center', { payload: { candidates } });
  if (!(await run.waitUntil(() => inbox.consultationLead !== undefined, due))) {
    s.overdue = true;
    run.notify('center', 'consultation_overdue', partyMessages.consultationOverdue(s, due!));
    run.step('consultation_overdue', 'center');
    await run.waitUntil(() => inbox.consultationLead !== undefined);
  }
  const conclusion = inbox.consultationLead!;
  run.step('consultation_concluded', describeParty(conclusion.by), {
    reason: conclusion.reason,
    payload: { leadUnitId: conclusion.leadUnitId },
  });
  return conclusion.leadUnitId;
}

/** Art. 14: the order goes to the unit with its deadlines; a street's district government supervises. */
async function dispatchTo(
  run: AppealRun,
  unitId: string,
  plan: DispatchPlan,
  actor: string,
  reason?: string,
): Promise<void> {
  const s = run.state;
  s.leadUnitId = unitId;
  run.leadIsStreet = unitId === s.streetId || (plan.route === 'street' && unitId === plan.leadUnitId);
  s.supervisingUnitIds = run.leadIsStreet ? plan.notifyUnitIds : [];
  const at = run.now();
  const deadlines = await run.deadlinesFrom(at, ['acceptance', 'handling']);
  run.enter('awaiting_acceptance', `unit:${unitId}`, deadlines.acceptance);
  run.notify(`unit:${unitId}`, 'dispatched', partyMessages.dispatched(s, deadlines.acceptance!, deadlines.handling!));
  for (const supervisor of s.supervisingUnitIds)
    run.notify(`unit:${supervisor}`, 'supervise', partyMessages.supervise(s, unitId));
  run.step('dispatched', actor, { at, reason, payload: { unitId, route: plan.route, policy: plan.policy, deadlines } });
}

/**
 * Art. 16: the unit accepts at once or objects with reasons. An objection is reviewed by the
 * center (upheld: the same unit; granted: re-dispatch). A missed window counts against the
 * unit, reminds it, and after the policy's limit goes to tiered coordination.
 */
async function dispatchAndAwaitAcceptance(
  run: AppealRun,
  inbox: Inbox,
  dispatch: Dispatch,
  limits: PolicyLimits,
): Promise<void> {
  const s = run.state;
  await dispatchTo(run, dispatch.leadUnitId, dispatch.plan, 'center');
  for (;;) {
    const lead = s.leadUnitId!;
    const acted = await run.waitUntil(
      () => inbox.accepted !== undefined || inbox.objection !== undefined,
      s.deadlines.acceptance,
    );
    if (!acted) {
      s.acceptanceReminders += 1;
      s.overdue = true;
      if (s.acceptanceReminders === 1)
        run.accountability(lead, 'late_acceptance', caseReasons.notAccepted(s.deadlines.acceptance!));
      run.notify(`unit:${lead}`, 'acceptance_reminder', partyMessages.acceptanceReminder(s, s.deadlines.acceptance!));
      const remindedAt = run.now();
      run.step('acceptance_reminder', 'center', { at: remindedAt, payload: { reminder: s.acceptanceReminders } });
      if (s.acceptanceReminders >= limits.acceptanceReminderLimit && s.escalationLevel === 0)
        escalate(run, caseReasons.notAcceptedAfterReminders(s.deadlines.acceptance!, s.acceptanceReminders));
      const { acceptance } = await run.deadlinesFrom(remindedAt, ['acceptance']);
      s.dueAt = acceptance;
      s.overdue = false;
      run.publish();
      continue;
    }
    if (inbox.accepted) {
      const accepted = inbox.accepted;
      inbox.accepted = undefined;
      run.enter('handling', `unit:${lead}`, s.deadlines.handling);
      run.step('accepted', describeParty(accepted.by));
      return;
    }
    const objection = inbox.objection!;
    inbox.objection = undefined;
    s.objection = { unitId: lead, reason: objection.reason, at: run.now() };
    const { objectionReview: reviewDue } = await run.deadlinesFrom(s.objection.at, ['objectionReview']);
    run.enter('objection_review', 'center', reviewDue);
    run.step('dispatch_objection', describeParty(objection.by), { at: s.objection.at, reason: objection.reason });
    if (!(await run.waitUntil(() => inbox.objectionDecision !== undefined, reviewDue))) {
      s.overdue = true;
      run.notify('center', 'objection_review_overdue', partyMessages.objectionReviewOverdue(s, reviewDue!));
      run.step('objection_review_overdue', 'center');
      await run.waitUntil(() => inbox.objectionDecision !== undefined);
    }
    const decision = inbox.objectionDecision!;
    inbox.objectionDecision = undefined;
    if (decision.decision === 'upheld') {
      run.accountability(lead, 'objection_rejected', decision.reason);
      const { acceptance } = await run.deadlinesFrom(run.now(), ['acceptance']);
      run.enter('awaiting_acceptance', `unit:${lead}`, acceptance);
      run.notify(
        `unit:${lead}`,
        'objection_rejected',
        partyMessages.objectionRejected(s, decision.reason, acceptance!),
      );
      run.step('objection_upheld', describeParty(decision.by), { reason: decision.reason });
    } else {
      if (wf.patched(PATCHES.notifyUnitsOfDecisions)) {
        run.notify(`unit:${lead}`, 'objection_granted', partyMessages.objectionGranted(s, decision.newUnitId!));
      }
      run.step('objection_granted', describeParty(decision.by), {
        reason: decision.reason,
        payload: { newUnitId: decision.newUnitId },
      });
      await dispatchTo(
        run,
        decision.newUnitId!,
        dispatch.plan,
        describeParty(decision.by),
        caseReasons.redispatchedAfterObjection,
      );
    }
  }
}

/** Art. 22 and automatic escalation: one level up (district government / sector authority, then the city). */
function escalate(run: AppealRun, why: string): void {
  const s = run.state;
  s.escalationLevel += 1;
  const coordinator = s.escalationLevel === 1 && s.districtId ? `${s.districtId}-gov` : 'hotline-center';
  run.notify(`coordinator:${coordinator}`, 'escalation', partyMessages.escalation(s, s.escalationLevel, why));
  run.step('escalated', 'center', { reason: why, payload: { level: s.escalationLevel, coordinator } });
}

/**
 * Art. 16-18, 21-23: the lead unit handles the appeal until it reports a result. Meanwhile:
 * co-handlers (each a child workflow), the whistle, extension and coordination requests,
 * warnings before the deadline, and escalation level by level after it.
 */
async function handle(run: AppealRun, inbox: Inbox, limits: PolicyLimits): Promise<void> {
  const s = run.state;
  const lead = s.leadUnitId!;
  const started = Date.now();
  const warned = new Set<number>();
  let breached = false;
  let nextEscalationAt: string | undefined;

  const hasWork = (): boolean =>
    inbox.result !== undefined ||
    inbox.extensionDecision !== undefined ||
    inbox.coHandlersToStart.length > 0 ||
    inbox.coHandlerReports.size > 0 ||
    (s.whistle?.departments.some((x) => x.dueAt === '') ?? false) ||
    s.coordination?.dueAt === '';

  while (inbox.result === undefined) {
    // Actions taken since the last turn.
    for (const add of inbox.coHandlersToStart.splice(0)) {
      const addedAt = run.now();
      const { coHandler } = await run.deadlinesFrom(addedAt, ['coHandler']);
      // A co-handler's part is due before the main deadline (Art. 16).
      const dueAt = new Date(
        Math.min(Date.parse(coHandler!), Date.parse(s.deadlines.handling!) - 3600_000),
      ).toISOString();
      const workflowId = coHandlerWorkflowId(s.appealId, add.unitId);
      s.coHandlers.push({ unitId: add.unitId, task: add.task, dueAt, status: 'open', workflowId });
      await wf.startChild(coHandlerWorkflow, {
        workflowId,
        args: [{ appealId: s.appealId, unitId: add.unitId, leadUnitId: lead, task: add.task, dueAt }],
      });
      run.notify(`unit:${add.unitId}`, 'co_handler_added', partyMessages.coHandlerAdded(s, add.task, lead, dueAt));
      run.step('co_handler_added', describeParty(add.by), {
        at: addedAt,
        payload: { unitId: add.unitId, task: add.task, dueAt },
      });
    }
    for (const [unitId, report] of inbox.coHandlerReports) {
      inbox.coHandlerReports.delete(unitId);
      const co = s.coHandlers.find((c) => c.unitId === unitId)!;
      co.reportedAt = run.now();
      co.lateReason = report.lateReason;
      if (!report.interim) co.status = 'done';
      if (!report.interim)
        await wf
          .getExternalWorkflowHandle(co.workflowId)
          .signal(coHandlerReportedSignal, { report: report.report, lateReason: report.lateReason });
      run.notify(
        `unit:${lead}`,
        'co_handler_report',
        partyMessages.coHandlerReport(s, unitId, report.interim === true, report.report),
      );
      run.publish();
    }
    if (s.whistle?.departments.some((x) => x.dueAt === '')) {
      const { whistleReportIn } = await run.deadlinesFrom(run.now(), ['whistleReportIn']);
      for (const dept of s.whistle.departments.filter((x) => x.dueAt === '')) {
        dept.dueAt = whistleReportIn!;
        run.notify(`unit:${dept.unitId}`, 'whistle', partyMessages.whistle(s, lead, s.whistle.reason, dept.dueAt));
      }
      run.publish();
    }
    if (s.coordination?.dueAt === '') {
      const { coordinationOpinion } = await run.deadlinesFrom(run.now(), ['coordinationOpinion']);
      s.coordination.dueAt = coordinationOpinion!;
      run.notify(
        `coordinator:${s.coordination.coordinatorId}`,
        'coordination_requested',
        partyMessages.coordinationRequested(s, lead, s.coordination.reason, coordinationOpinion!),
      );
      run.publish();
    }
    if (inbox.extensionDecision) {
      const decision = inbox.extensionDecision;
      inbox.extensionDecision = undefined;
      s.extension!.status = decision.approved ? 'approved' : 'denied';
      if (decision.approved) {
        // The extension runs from the current deadline, by the case's own policy version.
        const { extension } = await run.deadlinesFrom(s.deadlines.handling!, ['extension']);
        s.deadlines.handling = extension!;
        s.deadlines.extendedHandling = extension!;
        s.dueAt = extension!;
        s.overdue = false;
        breached = false;
        nextEscalationAt = undefined;
        warned.clear();
      }
      run.notify(
        'requester',
        'extension_decided',
        decision.approved
          ? requesterMessages.extended(s, s.deadlines.handling!, s.extension?.reason ?? decision.reason)
          : requesterMessages.extensionDenied(s),
      );
      if (wf.patched(PATCHES.notifyUnitsOfDecisions)) {
        run.notify(
          `unit:${s.leadUnitId}`,
          'extension_decided',
          partyMessages.extensionDecided(s, decision.approved, decision.reason, s.deadlines.handling!),
        );
      }
      run.step(decision.approved ? 'extension_approved' : 'extension_denied', describeParty(decision.by), {
        reason: decision.reason,
        payload: { handling: s.deadlines.handling },
      });
    }

    // Deadlines that have passed.
    const now = Date.now();
    const due = Date.parse(s.deadlines.handling!);
    WARNING_FRACTIONS.forEach((fraction, i) => {
      const at = started + (due - started) * fraction;
      if (!warned.has(i) && now >= at && now < due) {
        warned.add(i);
        run.notify(
          `unit:${lead}`,
          'deadline_warning',
          partyMessages.deadlineWarning(s, fraction, s.deadlines.handling!),
        );
        run.step('deadline_warning', 'center', { payload: { fraction } });
      }
    });
    for (const co of s.coHandlers) {
      if (co.status === 'open' && now >= Date.parse(co.dueAt)) {
        co.status = 'late';
        run.step('co_handler_overdue', 'center', { payload: { unitId: co.unitId, dueAt: co.dueAt } });
      }
    }
    for (const dept of s.whistle?.departments ?? []) {
      if (dept.status === 'open' && dept.dueAt && now >= Date.parse(dept.dueAt)) {
        dept.status = 'late';
        run.notify(
          `unit:${dept.unitId}`,
          'report_in_overdue',
          partyMessages.reportInOverdueToDepartment(s, dept.dueAt),
        );
        run.step('report_in_overdue', 'center', { payload: { unitId: dept.unitId } });
      }
    }
    if (s.coordination?.status === 'requested' && s.coordination.dueAt && now >= Date.parse(s.coordination.dueAt)) {
      s.coordination.status = 'late';
      run.notify(
        `coordinator:${s.coordination.coordinatorId}`,
        'coordination_overdue',
        partyMessages.coordinationOverdue(s, s.coordination.dueAt),
      );
      run.step('coordination_overdue', 'center');
    }
    if (!breached && now >= due) {
      breached = true;
      s.overdue = true;
      if (s.extension?.status !== 'approved')
        run.accountability(lead, 'overdue_handling', caseReasons.handlingBreached(s.deadlines.handling!));
      escalate(run, caseReasons.handlingBreached(s.deadlines.handling!));
      nextEscalationAt = (await run.deadlinesFrom(run.now(), ['coordinationOpinion'])).coordinationOpinion;
    } else if (breached && nextEscalationAt && now >= Date.parse(nextEscalationAt)) {
      if (s.escalationLevel >= limits.escalationLevels) {
        // Every level has had its window: the center calls the requester back as it stands (Art. 24).
        run.step('escalation_exhausted', 'center');
        return;
      }
      escalate(run, caseReasons.stillNoResult);
      nextEscalationAt = (await run.deadlinesFrom(run.now(), ['coordinationOpinion'])).coordinationOpinion;
    }

    const timers = [
      ...WARNING_FRACTIONS.map((f, i) => (warned.has(i) ? Infinity : started + (due - started) * f)),
      breached ? Infinity : due,
      nextEscalationAt ? Date.parse(nextEscalationAt) : Infinity,
      ...s.coHandlers.filter((c) => c.status === 'open').map((c) => Date.parse(c.dueAt)),
      ...(s.whistle?.departments ?? []).filter((x) => x.status === 'open' && x.dueAt).map((x) => Date.parse(x.dueAt)),
      s.coordination?.status === 'requested' && s.coordination.dueAt ? Date.parse(s.coordination.dueAt) : Infinity,
    ].filter((t) => t > now);
    const next = Math.min(...timers);
    await run.waitUntil(hasWork, Number.isFinite(next) ? new Date(next).toISOString() : undefined);
  }

  const result = inbox.result;
  inbox.result = undefined;
  s.result = { outcome: result.outcome, summary: result.summary, at: run.now() };
  run.enter('result_reported', 'center', s.deadlines.handling);
  run.notify('requester', 'result', requesterMessages.result(s, result.summary, result.outcome));
  run.step('result_reported', describeParty(result.by), {
    reason: result.summary,
    payload: { outcome: result.outcome },
  });
  if (!limits.callbackOnResult) await run.waitUntil(() => false, s.deadlines.handling);
}

/**
 * Art. 24: the center calls the requester back, a bounded number of attempts in a bounded
 * window. An unsatisfied requester's appeal may be ordered re-handled.
 */
async function callBack(run: AppealRun, inbox: Inbox, limits: PolicyLimits): Promise<'closed' | 'rehandle'> {
  const s = run.state;
  const { callbackWindow: windowEnd } = await run.deadlinesFrom(run.now(), ['callbackWindow']);
  s.callback = { attempts: 0 };
  run.enter('callback', 'center', windowEnd);
  while (s.callback.attempts < limits.callbackMaxAttempts && Date.now() < Date.parse(windowEnd!)) {
    s.callback.attempts += 1;
    const { callbackAttempt } = await run.deadlinesFrom(run.now(), ['callbackAttempt']);
    const attemptEnd = new Date(Math.min(Date.parse(callbackAttempt!), Date.parse(windowEnd!))).toISOString();
    run.notify('center', 'callback_attempt', partyMessages.callbackAttempt(s, s.callback.attempts));
    run.step('callback_attempt', 'center', { payload: { attempt: s.callback.attempts } });
    if (!(await run.waitUntil(() => inbox.callbackAnswer !== undefined, attemptEnd))) continue;
    const answer = inbox.callbackAnswer!;
    inbox.callbackAnswer = undefined;
    if (!answer.reached) {
      run.step('callback_unreached', describeParty(answer.by), { payload: { attempt: s.callback.attempts } });
      await run.waitUntil(() => false, attemptEnd);
      continue;
    }
    Object.assign(s.callback, {
      reached: true,
      contacted: answer.contacted,
      resolved: answer.resolved,
      satisfaction: answer.satisfaction,
    });
    run.step('callback_answered', describeParty(answer.by), {
      payload: { contacted: answer.contacted, resolved: answer.resolved, satisfaction: answer.satisfaction },
    });
    if (answer.satisfaction !== 'unsatisfied' || s.rehandlings >= MAX_REHANDLINGS) return 'closed';
    run.waitOn('center', windowEnd);
    run.publish();
    return (await run.waitUntil(() => inbox.rehandling !== undefined, windowEnd)) ? 'rehandle' : 'closed';
  }
  s.callback.reached = false;
  run.step('callback_unreachable', 'center', { payload: { attempts: s.callback.attempts } });
  return 'closed';
}

/** An unsatisfied, reasonable appeal goes back to the lead unit with a new deadline. */
async function orderRehandling(run: AppealRun, inbox: Inbox): Promise<void> {
  const s = run.state;
  const order = inbox.rehandling!;
  inbox.rehandling = undefined;
  s.rehandlings += 1;
  s.result = undefined;
  s.extension = undefined;
  const orderedAt = run.now();
  const { handling } = await run.deadlinesFrom(orderedAt, ['handling']);
  s.deadlines[`rehandling${s.rehandlings}`] = handling!;
  run.enter('rehandling', `unit:${s.leadUnitId}`, handling);
  run.notify(`unit:${s.leadUnitId}`, 'rehandling', partyMessages.rehandling(s, handling!, order.reason));
  run.step('rehandling_ordered', describeParty(order.by), { at: orderedAt, reason: order.reason });
}

/** Closing: withdrawal or merge if so, then one assessment per unit involved (Art. 25). */
async function close(run: AppealRun): Promise<void> {
  const s = run.state;
  if (run.ended) {
    s.disposition = run.ended.kind;
    s.originalAppealId = run.ended.originalAppealId;
    if (run.ended.kind === 'merged') run.notify('requester', 'merged', requesterMessages.merged(s));
  }
  s.stage = 'closed';
  run.waitOn('none');
  run.step(run.ended ? run.ended.kind : 'closed', run.ended?.kind === 'withdrawn' ? 'intake' : 'center', {
    reason: run.ended?.reason,
  });
  if (s.leadUnitId) {
    const exemptReason = run.ended ? `${run.ended.kind}: ${run.ended.reason}` : undefined;
    const responded = s.firstContactAt !== undefined || s.callback?.contacted === true;
    const resolved = s.callback?.resolved ?? s.result?.outcome === 'resolved';
    const units = [
      { unitId: s.leadUnitId, role: 'lead' },
      ...s.coHandlers.map((c) => ({ unitId: c.unitId, role: 'co_handler' })),
    ];
    await records.recordAssessment({
      appealId: s.appealId,
      closedAt: run.now(),
      units: units.map((u) => ({
        ...u,
        responded: responded,
        resolved: resolved === true,
        satisfaction: s.callback?.satisfaction ?? null,
        exempt: exemptReason !== undefined,
        exemptReason: exemptReason ?? null,
      })),
    });
  }
  await run.flush();
  await wf.condition(wf.allHandlersFinished);
}
