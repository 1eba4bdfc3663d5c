/**
 * Art. 11-14: intake, triage (dispose or dispatch), the consultation (会商) of a complex appeal,
 * the manual queue, and dispatch to a unit — a street's district government supervising it.
 */
import type {
  DispatchPlan,
  GivenDispatchPlan,
  PlanDispatchInput,
  UnitDescription,
} from '../../activities/dispatch/index.js';
import * as wf from '@temporalio/workflow';
import { intakeFields, triageHintsOf } from '../../domain/appeal.js';
import { invalidAction } from '../../domain/errors.js';
import { caseReasons, partyMessages } from '../../domain/partyMessages.js';
import { requesterMessages } from '../../domain/requesterMessages.js';
import { PATCHES } from '../patches.js';
import { describeParty } from './definitions.js';
import type { Inbox } from './inbox.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

export interface Dispatch {
  plan: DispatchPlan;
  leadUnitId: string;
  /** The instant the plan's deadlines count from (the center's decision); absent after a consultation. */
  plannedAt?: string;
}

/** An order whose deadlines the dispatch plan computed already, from the instant of the decision. */
export interface PlannedOrder {
  at: string;
  deadlines: { acceptance: string; handling: string };
}

export function registerTriageActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'triageAppeal', {
    validate: (input) => {
      if (input.disposition === 'dispatch') return;
      if (!input.reason?.trim() || !input.answer?.trim())
        throw invalidAction(
          'triageAppeal',
          s.stage,
          'a closing disposition needs a reason and an answer to the requester',
        );
      if (input.disposition === 'emergency_transfer' && !input.emergencyNumber)
        throw invalidAction('triageAppeal', s.stage, 'emergencyNumber (110/119/120/122) is required');
      if (input.disposition === 'legal_channel' && !input.legalChannel)
        throw invalidAction('triageAppeal', s.stage, 'legalChannel is required');
      if (input.disposition === 'repeat' && (!input.originalAppealId || input.originalAppealId === s.appealId))
        throw invalidAction('triageAppeal', s.stage, 'originalAppealId must name another appeal');
    },
    apply: (input) => {
      inbox.triage = input;
    },
    processed: () => inbox.triage === undefined,
  });
  onAction(run, 'giveConsultationOpinion', {
    validate: (input) => {
      if (!input.opinion?.trim()) throw invalidAction('giveConsultationOpinion', s.stage, 'opinion is required');
    },
    apply: (input) => {
      const unitId = (input.by as { unitId: string }).unitId;
      s.consultation?.opinions.push({
        unitId,
        opinion: input.opinion,
        ...(input.proposedLeadUnitId ? { proposedLeadUnitId: input.proposedLeadUnitId } : {}),
      });
      run.step('consultation_opinion', describeParty(input.by), {
        reason: input.opinion,
        payload: { proposedLeadUnitId: input.proposedLeadUnitId },
      });
    },
  });
  onAction(run, 'concludeConsultation', {
    validate: (input) => {
      if (!input.leadUnitId) throw invalidAction('concludeConsultation', s.stage, 'leadUnitId is required');
    },
    apply: (input) => {
      inbox.consultationLead = input;
    },
    processed: () => inbox.consultationLead === undefined,
  });
}

/**
 * Art. 11: the work order is recorded; a risk to social stability is pushed at once. Art. 12-13:
 * the center is shown knowledge-base answers and possible originals before it triages.
 */
export async function intake(run: AppealRun): Promise<void> {
  const { order } = run;
  const knowledgeInput = { question: order.content, categoryCode: order.categoryCode, limit: 3 };
  // The window is the policy's (in force for the category when the appeal came in).
  const duplicatesInput = {
    appealId: order.appealId,
    appealType: order.appealType,
    requesterPhone: order.requester.phone,
    categoryCode: order.categoryCode,
    districtId: order.districtId,
    streetId: order.streetId,
    at: order.receivedAt,
  };
  if (run.recordsCase) {
    // One local activity: the work order recorded, the hints looked up beside it, and the case
    // with both written to the record; what follows is dated at the instant it started.
    // A case that says its notifications with its writes has the number told in it too.
    const before = run.snapshot();
    const received = run.noticesWithSteps ? { notificationKey: run.noticeKey('requester', 'received') } : undefined;
    const recorded = await run.readLocally((records) =>
      records.recordIntakeWithHints({
        order,
        hints: { knowledge: knowledgeInput, duplicates: duplicatesInput },
        currentCase: before,
        ...(received ? { received } : {}),
      }),
    );
    const fields = intakeFields(recorded);
    Object.assign(run.state, fields);
    run.caseRecordedAs({ ...before, ...fields });
    run.intakeRecorded = true;
    if (!received) tellWorkOrderNo(run);
    else if (recorded.received) run.said([recorded.received]);
  } else {
    // Histories from before work order numbers recorded no answer here.
    const recorded = (await run.records.recordIntake(order)) as { workOrderNo: string | null } | undefined;
    if (recorded?.workOrderNo) run.state.workOrderNo = recorded.workOrderNo;
    run.intakeRecorded = true;
    tellWorkOrderNo(run);
    // A lean case looks them up as a local activity (short reads, within the workflow task): what
    // follows is dated at the instant the read started (readLocally holds the clock).
    if (run.lean)
      run.state.triageHints = await run.readLocally((records) =>
        records.findTriageHints({ knowledge: knowledgeInput, duplicates: duplicatesInput }),
      );
    else {
      const [knowledge, duplicates] = await Promise.all([
        run.records.searchKnowledgeBase(knowledgeInput),
        run.records.findDuplicates(duplicatesInput),
      ]);
      run.state.triageHints = triageHintsOf(knowledge, duplicates);
    }
  }
  run.publish();
  if (order.stabilityRisk) {
    const flagged = partyMessages.stabilityRisk(run.state, order);
    run.notify('government', 'stability_risk', flagged);
    if (run.runsWith(PATCHES.tellRequesterAndCenter)) run.notify('center', 'stability_risk', flagged);
    run.step('stability_risk_pushed', 'center');
  }
}

/** Supervisors find the case by its work order number in the Temporal UI at once; the requester is told it. */
function tellWorkOrderNo(run: AppealRun): void {
  if (!run.state.workOrderNo || !run.runsWith(PATCHES.workOrderNumbers)) return;
  run.publish();
  run.notify('requester', 'received', requesterMessages.received(run.state.workOrderNo));
}

/**
 * Art. 12: the center disposes of the appeal (each closing disposition ends it with a reason
 * and an answer) or dispatches it by the catalogue — to the manual queue when the catalogue
 * names nobody, after a consultation if complex.
 */
export async function triage(run: AppealRun, inbox: Inbox): Promise<Dispatch | undefined> {
  const s = run.state;
  for (;;) {
    await run.await(() => inbox.triage !== undefined);
    const decision = inbox.triage!;
    inbox.triage = undefined;
    if (decision.disposition !== 'dispatch') {
      s.disposition = decision.disposition;
      s.answer = decision.answer;
      s.originalAppealId = decision.originalAppealId;
      // Art. 12: a repeat names the original the requester follows (when the API looked its number up).
      const told =
        decision.disposition === 'repeat' && decision.originalWorkOrderNo
          ? requesterMessages.repeat(s, decision.originalWorkOrderNo, decision.answer)
          : requesterMessages.answer(s, decision.answer);
      run.notify('requester', 'triage_answer', told);
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
    const planInput: PlanDispatchInput = {
      appealId: s.appealId,
      appealType: s.appealType,
      categoryCode: s.categoryCode,
      districtId: s.districtId,
      streetId: s.streetId,
      at: run.now(),
    };
    const given = fittingPlan(run, decision.plan, planInput);
    if (given) run.holdClockAt(Date.parse(given.input.at));
    const plan = given
      ? given.plan
      : run.readsPlanLocally
        ? await run.readLocally((records) => records.planDispatch(planInput))
        : await run.records.planDispatch(planInput);
    const plannedAt = given?.input.at ?? planInput.at;
    s.policy = plan.policy;
    if (run.lean && plan.rules) run.rules = plan.rules;
    // The district is known from the street when only the street was given.
    if (!s.districtId && plan.districtId) s.districtId = plan.districtId;
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
    return { plan, leadUnitId, plannedAt };
  }
}

/** How old a plan read by the API may be when the case takes it: the decision's round trip, with room. */
const GIVEN_PLAN_MAX_AGE_MS = 60_000;

/**
 * The plan the API read with the center's decision, when it was read for this case as it is now
 * (its type, category and place) at an instant of the case's recent past, not before its last
 * step: the order's deadlines then count from the decision as the API took it, and the case
 * needs no read of its own (one local activity and one activation fewer per dispatch). Otherwise
 * (a direct Update, a case changed since, a clock far from the API's as under time skipping, a
 * case of an era that reads its plan as an activity) the case reads its own. The choice rests on
 * the Update's input and the task's clock, both in the history, so a replay makes the same one;
 * a history whose Update carried no plan replays its read.
 */
function fittingPlan(
  run: AppealRun,
  given: GivenDispatchPlan | undefined,
  own: PlanDispatchInput,
): GivenDispatchPlan | undefined {
  if (!given || !run.readsPlanLocally) return undefined;
  const { input } = given;
  const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? null) === (b ?? null);
  const forThisCase =
    input.appealId === own.appealId &&
    input.appealType === own.appealType &&
    input.categoryCode === own.categoryCode &&
    same(input.districtId, own.districtId) &&
    same(input.streetId, own.streetId);
  const at = Date.parse(input.at);
  const now = Date.parse(own.at);
  const timeline = run.state.timeline;
  const lastStep = timeline.length > 0 ? Date.parse(timeline[timeline.length - 1]!.at) : -Infinity;
  const recent = at <= now && now - at <= GIVEN_PLAN_MAX_AGE_MS && at >= lastStep;
  return forThisCase && recent ? given : undefined;
}

/** A complex appeal: the candidate units give opinions, the center names the lead unit. */
async function consult(run: AppealRun, inbox: Inbox, plan: DispatchPlan, proposed: string): Promise<string> {
  const s = run.state;
  const candidates = [...new Set([proposed, ...plan.candidateUnitIds])];
  s.consultation = { candidateUnitIds: candidates, opinions: [] };
  const due = await run.deadline(run.now(), 'consultation');
  run.enter('consultation', 'center', due);
  for (const unitId of candidates) run.notify(`unit:${unitId}`, 'consultation', partyMessages.consultation(s, due));
  run.step('consultation_opened', 'center', { payload: { candidates, dueAt: due } });
  if (!(await run.await(() => inbox.consultationLead !== undefined, due))) {
    run.markOverdue(due);
    run.notify('center', 'consultation_overdue', partyMessages.consultationOverdue(s, due));
    run.step('consultation_overdue', 'center');
    await run.await(() => inbox.consultationLead !== undefined);
  }
  const conclusion = inbox.consultationLead!;
  inbox.consultationLead = undefined;
  run.step('consultation_concluded', describeParty(conclusion.by), {
    reason: conclusion.reason,
    payload: { leadUnitId: conclusion.leadUnitId },
  });
  return conclusion.leadUnitId;
}

/**
 * Art. 14: the order goes to the unit. Whatever the route (catalogue, the center's choice, an
 * objection's re-dispatch, a consultation), a street or township lead is supervised by its
 * district government and may blow the whistle; a lead of another kind is not and may not.
 * Returns the unit's kind.
 */
export async function assignLead(run: AppealRun, unitId: string, known?: UnitDescription): Promise<string | undefined> {
  const s = run.state;
  const unit = known ?? (await run.records.describeUnit({ unitId }));
  s.leadUnitId = unitId;
  s.leadUnitKind = unit?.kind;
  // A case of no known place lies, from now on, in the district of the unit chosen to lead it.
  if (!s.districtId && unit?.districtId && wf.patched(PATCHES.districtFromLead)) s.districtId = unit.districtId;
  const isStreet = unit?.kind === 'street' || unit?.kind === 'township';
  s.supervisingUnitIds = isStreet && unit.districtGovernmentId ? [unit.districtGovernmentId] : [];
  return unit?.kind;
}

/** The order goes to the unit with its deadlines; the supervising district government is told. */
export async function dispatchTo(run: AppealRun, unitId: string, actor: string, reason?: string): Promise<void> {
  await assignLead(run, unitId);
  await sendOrder(run, actor, reason);
}

/** Sends the work order to the lead unit already assigned. */
export async function sendOrder(run: AppealRun, actor: string, reason?: string, planned?: PlannedOrder): Promise<void> {
  const s = run.state;
  const unitId = s.leadUnitId!;
  const at = planned?.at ?? run.now();
  const deadlines = planned
    ? run.keepDeadlines(planned.deadlines)
    : await run.deadlinesFrom(at, ['acceptance', 'handling']);
  run.enter('awaiting_acceptance', `unit:${unitId}`, deadlines.acceptance);
  run.notify(`unit:${unitId}`, 'dispatched', partyMessages.dispatched(s, deadlines.acceptance!, deadlines.handling!));
  for (const supervisor of s.supervisingUnitIds)
    run.notify(`unit:${supervisor}`, 'supervise', partyMessages.supervise(s, unitId));
  run.step('dispatched', actor, {
    at,
    reason,
    payload: { unitId, kind: s.leadUnitKind, supervisingUnitIds: s.supervisingUnitIds, policy: s.policy, deadlines },
  });
}
