/**
 * Art. 17: the lead unit may ask for an extension, with a reason and before the deadline; the
 * center decides; the requester is told the new date and why. A request still pending at the
 * deadline holds the breach until it is decided, and the unit is judged then.
 */
import { partyMessages } from '../../domain/partyMessages.js';
import { requesterMessages } from '../../domain/requesterMessages.js';
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { moveCoHandlerDeadlines, tellCoHandlersOfExtension } from './coHandlers.js';
import { describeParty, type AppealCase } from './definitions.js';
import type { Inbox } from './inbox.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

export function registerExtensionActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'requestExtension', {
    validate: (input) => {
      if (!input.reason?.trim())
        throw invalidAction('requestExtension', s.stage, 'an extension needs a reason (Art. 17)');
      const due = s.deadlines.handling;
      if (due && Date.now() >= Date.parse(due))
        throw actionNotAllowed(
          'requestExtension',
          s.stage,
          `the handling deadline ${due} has passed: an extension is asked only before it`,
        );
      if (s.extension?.status === 'requested')
        throw actionNotAllowed('requestExtension', s.stage, 'an extension request is already waiting for the center');
    },
    apply: async (input) => {
      setExtensionAside(s);
      s.extension = { status: 'requested', reason: input.reason, requestedAt: run.now() };
      run.notify('center', 'extension_requested', partyMessages.extensionRequested(s, s.leadUnitId!, input.reason));
      run.step('extension_requested', describeParty(input.by), { reason: input.reason });
      inbox.handlingChanged++;
      await tellCoHandlersOfExtension(run, true);
    },
  });

  onAction(run, 'decideExtension', {
    validate: (input) => {
      if (!input.reason?.trim()) throw invalidAction('decideExtension', s.stage, 'reason is required');
      if (s.extension?.status !== 'requested')
        throw actionNotAllowed('decideExtension', s.stage, 'no extension request is waiting');
    },
    apply: async (input) => {
      const extension = s.extension!;
      extension.status = input.approved ? 'approved' : 'denied';
      extension.decidedAt = run.now();
      extension.decisionReason = input.reason;
      if (input.approved) {
        // The extension runs from the current deadline, by the case's own policy version.
        const current = s.deadlines.handling!;
        const extended = (await run.deadlinesFrom(current, ['extension'])).extension!;
        extension.extendedTo = extended;
        s.deadlines.handling = extended;
        s.deadlines.extendedHandling = extended;
        s.dueAt = extended;
        if (Date.now() < Date.parse(extended)) run.onTime();
        await moveCoHandlerDeadlines(run);
        run.notify('requester', 'extension_decided', requesterMessages.extended(s, extended, extension.reason));
      }
      run.notify(
        `unit:${s.leadUnitId}`,
        'extension_decided',
        partyMessages.extensionDecided(s, input.approved, input.reason, s.deadlines.handling!),
      );
      run.step(input.approved ? 'extension_approved' : 'extension_denied', describeParty(input.by), {
        reason: input.reason,
        payload: { handling: s.deadlines.handling },
      });
      inbox.handlingChanged++;
      await tellCoHandlersOfExtension(run, false);
    },
  });
}

/** The current extension gives way (to a new request, or a re-handling round) but stays in the case. */
export function setExtensionAside(s: AppealCase): void {
  if (!s.extension) return;
  (s.earlierExtensions ??= []).push(s.extension);
  s.extension = undefined;
}
