/**
 * Art. 24: when the handling deadline expires (or, by policy, once the result is reported) the
 * center calls the requester back — a bounded number of attempts in a bounded window — and
 * asks: was the unit in contact, is it resolved, is the requester satisfied. A claim of the
 * unit the answer denies is a matter for accountability (Art. 29(2)). An unsatisfied appeal may
 * be ordered re-handled, up to the policy's cap.
 */
import { caseReasons, partyMessages } from '../../domain/partyMessages.js';
import { requesterMessages } from '../../domain/requesterMessages.js';
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { describeParty, type CallbackAnswerInput } from './definitions.js';
import * as d from './definitions.js';
import { setExtensionAside } from './extension.js';
import * as wf from '@temporalio/workflow';
import { PATCHES } from '../patches.js';
import type { Inbox } from './inbox.js';
import { checkRule, onAction } from './rules.js';
import type { AppealRun } from './run.js';

function checkAnswer(run: AppealRun, input: CallbackAnswerInput): void {
  const s = run.state;
  if (s.callback?.reached) throw actionNotAllowed('recordCallback', s.stage, 'the requester has already answered');
  if (typeof input.reached !== 'boolean') throw invalidAction('recordCallback', s.stage, 'reached is required');
  if (input.reached) {
    const missing = (['contacted', 'resolved', 'satisfaction'] as const).filter((k) => input[k] === undefined);
    if (missing.length)
      throw invalidAction('recordCallback', s.stage, `a reached callback carries ${missing.join(', ')} (Art. 24)`);
    if (!d.SATISFACTION.includes(input.satisfaction!))
      throw invalidAction(
        'recordCallback',
        s.stage,
        'satisfaction must be satisfied, basically_satisfied or unsatisfied',
      );
  }
  if (input.channel !== undefined && !d.CALLBACK_CHANNELS.includes(input.channel))
    throw invalidAction('recordCallback', s.stage, 'channel must be phone, sms or web');
}

export function registerCallbackActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'recordCallback', {
    validate: (input) => checkAnswer(run, input),
    apply: (input) => {
      inbox.callbackAnswer = input;
    },
    processed: () => inbox.callbackAnswer === undefined,
  });
  // Telephony's fire-and-forget answer: the same rules, applied silently (a signal cannot be refused).
  wf.setHandler(d.recordCallbackSignal, (input) => {
    try {
      checkRule(run, 'recordCallback', input?.by);
      checkAnswer(run, input);
      inbox.callbackAnswer = input;
    } catch (error) {
      wf.log.warn('callback answer signal ignored', { appealId: s.appealId, error: (error as Error).message });
    }
  });
  onAction(run, 'orderRehandling', {
    validate: (input) => {
      if (!input.reason?.trim()) throw invalidAction('orderRehandling', s.stage, 'reason is required');
      if (s.callback?.satisfaction !== 'unsatisfied' || s.forwarding)
        throw actionNotAllowed(
          'orderRehandling',
          s.stage,
          're-handling is ordered only after an unsatisfied callback answer',
        );
      if (s.rehandlings >= run.policyLimits.rehandlingCap)
        throw actionNotAllowed(
          'orderRehandling',
          s.stage,
          `the policy allows ${run.policyLimits.rehandlingCap} re-handling order(s)`,
        );
    },
    apply: (input) => {
      inbox.rehandling = input;
    },
    processed: () => inbox.rehandling === undefined,
  });
}

export async function callBack(
  run: AppealRun,
  inbox: Inbox,
  trigger: 'deadline' | 'result',
): Promise<'closed' | 'rehandle'> {
  const s = run.state;
  const limits = run.policyLimits;
  const overdueSince = s.overdueSince;
  const windowEnd = await run.deadline(run.now(), 'callbackWindow');
  s.callback = { attempts: 0, trigger };
  run.enter('callback', 'center', windowEnd);
  // Reached by a missed deadline, the case stays overdue: the handling obligation was never met.
  if (trigger === 'deadline' && overdueSince) run.markOverdue(overdueSince);
  while (s.callback.attempts < limits.callbackMaxAttempts && Date.now() < Date.parse(windowEnd)) {
    s.callback.attempts += 1;
    const attemptEnd = new Date(
      Math.min(Date.parse(await run.deadline(run.now(), 'callbackAttempt')), Date.parse(windowEnd)),
    ).toISOString();
    run.notify('center', 'callback_attempt', partyMessages.callbackAttempt(s, s.callback.attempts));
    run.step('callback_attempt', 'center', { payload: { attempt: s.callback.attempts, trigger } });
    const answer = await answerWithin(run, inbox, attemptEnd);
    if (!answer) continue;
    Object.assign(s.callback, {
      reached: true,
      contacted: answer.contacted,
      resolved: answer.resolved,
      satisfaction: answer.satisfaction,
    });
    const key = run.step('callback_answered', describeParty(answer.by), {
      payload: {
        contacted: answer.contacted,
        resolved: answer.resolved,
        satisfaction: answer.satisfaction,
        channel: answer.channel,
      },
    });
    holdClaimsToAnswer(run, key);
    if (run.runsWith(PATCHES.tellRequesterAndCenter))
      run.notify('requester', 'callback_answered', requesterMessages.callbackAnswered(s, answer.satisfaction));
    if (answer.satisfaction !== 'unsatisfied' || s.rehandlings >= limits.rehandlingCap || s.forwarding) return 'closed';
    run.waitOn('center', windowEnd);
    run.publish();
    return (await run.await(() => inbox.rehandling !== undefined, windowEnd)) ? 'rehandle' : 'closed';
  }
  s.callback.reached = false;
  if (run.runsWith(PATCHES.tellRequesterAndCenter))
    run.notify('requester', 'callback_unreachable', requesterMessages.callbackUnreachable(s));
  run.step('callback_unreachable', 'center', { payload: { attempts: s.callback.attempts } });
  return 'closed';
}

/**
 * The answer that reached the requester within one attempt, or none by its end. A call that did
 * not reach them is recorded; the attempt stays open to a later call within it (cases from
 * before `callback-within-attempt` waited the attempt out and took such an answer at the next).
 */
async function answerWithin(
  run: AppealRun,
  inbox: Inbox,
  attemptEnd: string,
): Promise<CallbackAnswerInput | undefined> {
  const s = run.state;
  for (;;) {
    if (!(await run.await(() => inbox.callbackAnswer !== undefined, attemptEnd))) return undefined;
    const answer = inbox.callbackAnswer!;
    inbox.callbackAnswer = undefined;
    if (answer.channel) s.callback!.channel = answer.channel;
    if (answer.reached) return answer;
    run.step('callback_unreached', describeParty(answer.by), {
      payload: { attempt: s.callback!.attempts, channel: answer.channel },
    });
    if (!wf.patched(PATCHES.callbackWithinAttempt)) {
      await run.await(() => false, attemptEnd);
      return undefined;
    }
  }
}

/** Art. 29(2): a first contact or a resolution the unit claimed and the requester denies. */
function holdClaimsToAnswer(run: AppealRun, auditStepKey: string): void {
  const s = run.state;
  if (!s.leadUnitId || s.forwarding) return;
  if (s.firstContactAt && s.callback?.contacted === false)
    run.accountability(
      s.leadUnitId,
      'claim_contradicted',
      caseReasons.contactContradicted(s.firstContactAt),
      auditStepKey,
    );
  if (s.result?.outcome === 'resolved' && s.callback?.resolved === false)
    run.accountability(s.leadUnitId, 'claim_contradicted', caseReasons.resolvedContradicted, auditStepKey);
}

/** An unsatisfied, reasonable appeal goes back to the lead unit with a new deadline. */
export async function orderRehandling(run: AppealRun, inbox: Inbox): Promise<void> {
  const s = run.state;
  const order = inbox.rehandling!;
  inbox.rehandling = undefined;
  s.rehandlings += 1;
  // The earlier round's result stays in the case (the requester was told it), set aside.
  if (s.result) (s.earlierResults ??= []).push(s.result);
  s.result = undefined;
  setExtensionAside(s);
  const orderedAt = run.now();
  const handling = await run.deadline(orderedAt, 'handling');
  s.deadlines[`rehandling${s.rehandlings}`] = handling;
  run.enter('rehandling', `unit:${s.leadUnitId}`, handling);
  run.notify(`unit:${s.leadUnitId}`, 'rehandling', partyMessages.rehandling(s, handling, order.reason));
  if (run.runsWith(PATCHES.tellRequesterAndCenter))
    run.notify('requester', 'rehandling', requesterMessages.rehandling(s, handling));
  run.step('rehandling_ordered', describeParty(order.by), { at: orderedAt, reason: order.reason });
}
