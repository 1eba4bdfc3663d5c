/**
 * What an accepted action hands to the main process: set by a handler, consumed by the step of
 * the process that waits for it (triage, acceptance, result, callback …). Sub-matters that run
 * alongside (co-handlers, whistle, extension, coordination) keep their own state in the case.
 */
import type * as d from './definitions.js';

export interface Inbox {
  triage?: d.TriageInput;
  consultationLead?: d.ConcludeConsultationInput;
  accepted?: d.AcceptInput;
  objection?: d.ObjectInput;
  objectionDecision?: d.DecideObjectionInput;
  forwardingFeedback?: d.ForwardingFeedbackInput;
  result?: d.ReportResultInput;
  callbackAnswer?: d.CallbackAnswerInput;
  rehandling?: d.OrderRehandlingInput;
  /** Bumped whenever the handling deadline moves or an extension is decided: the handling wait looks again. */
  handlingChanged: number;
}

export const emptyInbox = (): Inbox => ({ handlingChanged: 0 });
