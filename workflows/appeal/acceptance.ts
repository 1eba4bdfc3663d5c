/**
 * Art. 14, 16: the dispatched unit accepts at once or objects with reasons; the center reviews
 * an objection (upheld: the same unit; granted: re-dispatch). A missed acceptance window makes
 * the case overdue until it is accepted: it counts against the unit, reminds it by the policy,
 * and escalates tier by tier once the reminders of a tier are spent and the last one's window
 * has passed.
 */
import * as wf from '@temporalio/workflow';
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { caseReasons, partyMessages } from '../../domain/partyMessages.js';
import { beijingTimeText } from '../../domain/requesterMessages.js';
import { PATCHES } from '../patches.js';
import { describeParty } from './definitions.js';
import { escalate } from './coordination.js';
import type { Inbox } from './inbox.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';
import { dispatchTo, sendOrder, type PlannedOrder } from './triage.js';

export function registerAcceptanceActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'acceptDispatch', {
    apply: (input) => {
      inbox.accepted = input;
    },
    processed: () => inbox.accepted === undefined,
  });
  onAction(run, 'objectToDispatch', {
    validate: (input) => {
      if (!input.reason?.trim())
        throw invalidAction('objectToDispatch', s.stage, 'a dispatch objection needs its reasons (Art. 14)');
      // Art. 16: one objection per dispatch. Upheld on review, the order is the unit's to accept.
      if (s.objection && s.objection.unitId === s.leadUnitId)
        throw actionNotAllowed(
          'objectToDispatch',
          s.stage,
          `${s.objection.unitId}'s objection of ${beijingTimeText(s.objection.at)} was reviewed and upheld: accept the order`,
        );
    },
    apply: (input) => {
      inbox.objection = input;
    },
    processed: () => inbox.objection === undefined,
  });
  onAction(run, 'decideObjection', {
    validate: (input) => {
      if (!input.reason?.trim()) throw invalidAction('decideObjection', s.stage, 'reason is required');
      if (input.decision === 'redispatch' && !input.newUnitId)
        throw invalidAction('decideObjection', s.stage, 'newUnitId is required to re-dispatch');
      if (input.decision === 'redispatch' && input.newUnitId === s.leadUnitId)
        throw invalidAction('decideObjection', s.stage, 'newUnitId is the unit that objected');
    },
    apply: (input) => {
      inbox.objectionDecision = input;
    },
    processed: () => inbox.objectionDecision === undefined,
  });
}

/** Dispatches the order and waits until a unit has accepted it. */
export async function awaitAcceptance(run: AppealRun, inbox: Inbox, planned?: PlannedOrder): Promise<void> {
  const s = run.state;
  await sendOrder(run, 'center', undefined, planned);
  let nextReminderAt = s.deadlines.acceptance;
  /** Reminders sent at the current tier (0: before any escalation). */
  let remindersAtTier = 0;
  for (;;) {
    const lead = s.leadUnitId!;
    const acted = await run.await(() => inbox.accepted !== undefined || inbox.objection !== undefined, nextReminderAt);
    if (!acted) {
      ({ nextReminderAt, remindersAtTier } = await remind(run, remindersAtTier));
      continue;
    }
    if (inbox.accepted) {
      const accepted = inbox.accepted;
      inbox.accepted = undefined;
      run.enter('handling', `unit:${lead}`, s.deadlines.handling);
      run.step('accepted', describeParty(accepted.by));
      return;
    }
    await reviewObjection(run, inbox);
    nextReminderAt = s.deadlines.acceptance;
    remindersAtTier = 0;
  }
}

/**
 * The acceptance window has passed: overdue from then on, recorded against the unit once, and
 * reminded every acceptance window. Once a tier's reminders are spent and the last one's window
 * has passed too, the case goes one tier up and the unit is reminded at the new tier. Returns
 * when to remind next (none once every tier and reminder is spent).
 */
async function remind(
  run: AppealRun,
  remindersAtTier: number,
): Promise<{ nextReminderAt: string | undefined; remindersAtTier: number }> {
  const s = run.state;
  if (!s.overdue) {
    run.markOverdue(s.deadlines.acceptance!);
    const key = run.step('acceptance_overdue', 'center', { payload: { dueAt: s.deadlines.acceptance } });
    run.accountability(s.leadUnitId!, 'late_acceptance', caseReasons.notAccepted(s.deadlines.acceptance!), key);
  }
  const remindedAt = run.now();
  if (!wf.patched(PATCHES.reminderWindowBeforeEscalation)) return remindThenEscalate(run, remindersAtTier, remindedAt);
  if (remindersAtTier >= reminderLimit(run)) {
    // Every tier asked and its reminders spent: the case stays overdue, waiting, with no more timers.
    if (!(await escalateAcceptance(run))) return { nextReminderAt: undefined, remindersAtTier };
    remindersAtTier = 0;
  }
  // Said after the escalation it follows (its read moved the clock), so the timeline stays in order.
  sendReminder(run, run.now());
  return { nextReminderAt: await nextReminder(run, remindedAt), remindersAtTier: remindersAtTier + 1 };
}

/** Cases from before `reminder-window-before-escalation`: a tier's last reminder and the escalation at one instant. */
async function remindThenEscalate(
  run: AppealRun,
  remindersAtTier: number,
  remindedAt: string,
): Promise<{ nextReminderAt: string | undefined; remindersAtTier: number }> {
  sendReminder(run, remindedAt);
  remindersAtTier += 1;
  const limit = reminderLimit(run);
  let climbed = false;
  if (remindersAtTier >= limit) {
    climbed = await escalateAcceptance(run);
    if (climbed) remindersAtTier = 0;
  }
  if (!climbed && remindersAtTier >= limit) return { nextReminderAt: undefined, remindersAtTier };
  return { nextReminderAt: await nextReminder(run, remindedAt), remindersAtTier };
}

/** The policy's reminders at the case's current tier. */
function reminderLimit(run: AppealRun): number {
  const limits = run.policyLimits;
  return (
    limits.reminderLimits[run.state.escalationLevel] ?? limits.reminderLimits.at(-1) ?? limits.acceptanceReminderLimit
  );
}

function sendReminder(run: AppealRun, remindedAt: string): void {
  const s = run.state;
  s.acceptanceReminders += 1;
  run.notify(
    `unit:${s.leadUnitId!}`,
    'acceptance_reminder',
    partyMessages.acceptanceReminder(s, missedAcceptance(run)),
  );
  run.step('acceptance_reminder', 'center', { at: remindedAt, payload: { reminder: s.acceptanceReminders } });
}

const escalateAcceptance = (run: AppealRun): Promise<boolean> =>
  escalate(
    run,
    'acceptance',
    caseReasons.notAcceptedAfterReminders(missedAcceptance(run), run.state.acceptanceReminders),
  );

/** The acceptance deadline the unit missed: the case is overdue since. */
const missedAcceptance = (run: AppealRun): string => run.state.overdueSince ?? run.state.deadlines.acceptance!;

/**
 * The next reminder, one acceptance window on. A reminder's window is not the acceptance
 * deadline: the missed deadline stays on the case, the reminder's goes to `acceptanceReminder`.
 * The missed one is taken before the window is counted, which writes the case's deadlines.
 */
async function nextReminder(run: AppealRun, remindedAt: string): Promise<string> {
  const deadlines = run.state.deadlines;
  const missed = deadlines.acceptance;
  const next = await run.deadline(remindedAt, 'acceptance');
  if (missed) deadlines.acceptance = missed;
  deadlines.acceptanceReminder = next;
  return next;
}

async function reviewObjection(run: AppealRun, inbox: Inbox): Promise<void> {
  const s = run.state;
  const lead = s.leadUnitId!;
  const objection = inbox.objection!;
  inbox.objection = undefined;
  s.objection = { unitId: lead, reason: objection.reason, at: run.now() };
  const reviewDue = await run.deadline(s.objection.at, 'objectionReview');
  run.enter('objection_review', 'center', reviewDue);
  run.notify('center', 'objection', partyMessages.objection(s, lead, objection.reason, reviewDue));
  run.step('dispatch_objection', describeParty(objection.by), { at: s.objection.at, reason: objection.reason });
  if (!(await run.await(() => inbox.objectionDecision !== undefined, reviewDue))) {
    run.markOverdue(reviewDue);
    run.notify('center', 'objection_review_overdue', partyMessages.objectionReviewOverdue(s, reviewDue));
    run.step('objection_review_overdue', 'center');
    await run.await(() => inbox.objectionDecision !== undefined);
  }
  const decision = inbox.objectionDecision!;
  inbox.objectionDecision = undefined;
  if (decision.decision === 'upheld') {
    const acceptance = await run.deadline(run.now(), 'acceptance');
    run.enter('awaiting_acceptance', `unit:${lead}`, acceptance);
    run.notify(`unit:${lead}`, 'objection_rejected', partyMessages.objectionRejected(s, decision.reason, acceptance));
    const key = run.step('objection_upheld', describeParty(decision.by), { reason: decision.reason });
    run.accountability(lead, 'objection_rejected', decision.reason, key);
    return;
  }
  run.notify(`unit:${lead}`, 'objection_granted', partyMessages.objectionGranted(s, decision.newUnitId!));
  run.step('objection_granted', describeParty(decision.by), {
    reason: decision.reason,
    payload: { newUnitId: decision.newUnitId },
  });
  await dispatchTo(run, decision.newUnitId!, describeParty(decision.by), caseReasons.redispatchedAfterObjection);
}
