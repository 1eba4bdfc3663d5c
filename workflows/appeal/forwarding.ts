/**
 * Art. 23, central and military matters (央地、军地): not a Beijing unit's order. The case goes to
 * the liaison, which records the organ it forwarded the matter to; the center follows it up on
 * the policy's interval until the organ's feedback is recorded. Nothing is "accepted", and the
 * liaison is not assessed like a Beijing unit.
 */
import { partyMessages } from '../../domain/partyMessages.js';
import { requesterMessages } from '../../domain/requesterMessages.js';
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { describeParty } from './definitions.js';
import type { Inbox } from './inbox.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

export function registerForwardingActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'recordForwarding', {
    validate: (input) => {
      if (!input.organ?.trim()) throw invalidAction('recordForwarding', s.stage, 'organ is required');
      if (s.forwarding?.organ)
        throw actionNotAllowed('recordForwarding', s.stage, `already forwarded to ${s.forwarding.organ}`);
    },
    apply: (input) => {
      s.forwarding!.organ = input.organ;
      s.forwarding!.forwardedAt = run.now();
      run.notify('requester', 'forwarded', requesterMessages.forwarded(s, input.organ));
      run.step('forwarded', describeParty(input.by), { reason: input.note, payload: { organ: input.organ } });
    },
  });
  onAction(run, 'recordForwardingFeedback', {
    validate: (input) => {
      if (!input.feedback?.trim()) throw invalidAction('recordForwardingFeedback', s.stage, 'feedback is required');
      if (!s.forwarding?.organ)
        throw actionNotAllowed('recordForwardingFeedback', s.stage, 'record the organ it was forwarded to first');
    },
    apply: (input) => {
      inbox.forwardingFeedback = input;
    },
    processed: () => inbox.forwardingFeedback === undefined,
  });
}

/** Follows the matter up until the organ's feedback is recorded. */
export async function forward(run: AppealRun, inbox: Inbox): Promise<void> {
  const s = run.state;
  const liaison = s.leadUnitId!;
  s.forwarding = { liaisonUnitId: liaison, followUps: 0 };
  const at = run.now();
  let nextFollowUp = await run.deadline(at, 'centralFollowUp');
  s.forwarding.nextFollowUpAt = nextFollowUp;
  run.enter('forwarded', `unit:${liaison}`, nextFollowUp);
  run.notify(`unit:${liaison}`, 'forward', partyMessages.forward(s));
  run.step('forwarding_requested', 'center', { at, payload: { liaisonUnitId: liaison, nextFollowUpAt: nextFollowUp } });
  while (!(await run.await(() => inbox.forwardingFeedback !== undefined, nextFollowUp))) {
    s.forwarding.followUps += 1;
    const followedAt = run.now();
    nextFollowUp = await run.deadline(followedAt, 'centralFollowUp');
    s.forwarding.nextFollowUpAt = nextFollowUp;
    run.waitOn(`unit:${liaison}`, nextFollowUp);
    run.notify(`unit:${liaison}`, 'follow_up', partyMessages.followUp(s, s.forwarding.followUps, s.forwarding.organ));
    run.step('forwarding_follow_up', 'center', { at: followedAt, payload: { followUp: s.forwarding.followUps } });
  }
  const feedback = inbox.forwardingFeedback!;
  inbox.forwardingFeedback = undefined;
  s.forwarding.feedback = feedback.feedback;
  s.forwarding.feedbackAt = run.now();
  delete s.forwarding.nextFollowUpAt;
  run.notify('requester', 'result', requesterMessages.result(s, feedback.feedback));
  run.step('forwarding_feedback', describeParty(feedback.by), { reason: feedback.feedback });
}
