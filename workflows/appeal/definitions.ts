/**
 * The appeal workflow's messages: the query, the Updates and the signal, over the domain
 * types. The API and the tests import this file; it pulls in no workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type * as t from '../../domain/appeal.js';

export * from '../../domain/appeal.js';
import type { ActionName } from '../../domain/actions.js';

export const caseQuery = defineQuery<t.AppealCase>('case');
/**
 * Answers the case once its intake is in the case record. Sent with the start (update-with-start),
 * so `POST /v1/appeals` answers in one round trip instead of polling PostgreSQL.
 */
export const intakeRecordedUpdate = defineUpdate<t.AppealCase>('intakeRecorded');

export const triageAppealUpdate = defineUpdate<t.AppealCase, [t.TriageInput]>('triageAppeal');
export const giveConsultationOpinionUpdate = defineUpdate<t.AppealCase, [t.ConsultationOpinionInput]>(
  'giveConsultationOpinion',
);
export const concludeConsultationUpdate = defineUpdate<t.AppealCase, [t.ConcludeConsultationInput]>(
  'concludeConsultation',
);
export const acceptDispatchUpdate = defineUpdate<t.AppealCase, [t.AcceptInput]>('acceptDispatch');
export const objectToDispatchUpdate = defineUpdate<t.AppealCase, [t.ObjectInput]>('objectToDispatch');
export const decideObjectionUpdate = defineUpdate<t.AppealCase, [t.DecideObjectionInput]>('decideObjection');
export const recordForwardingUpdate = defineUpdate<t.AppealCase, [t.RecordForwardingInput]>('recordForwarding');
export const recordForwardingFeedbackUpdate = defineUpdate<t.AppealCase, [t.ForwardingFeedbackInput]>(
  'recordForwardingFeedback',
);
export const recordFirstContactUpdate = defineUpdate<t.AppealCase, [t.FirstContactInput]>('recordFirstContact');
export const addCoHandlerUpdate = defineUpdate<t.AppealCase, [t.AddCoHandlerInput]>('addCoHandler');
export const reportCoHandlerPartUpdate = defineUpdate<t.AppealCase, [t.CoHandlerReportInput]>('reportCoHandlerPart');
export const blowWhistleUpdate = defineUpdate<t.AppealCase, [t.WhistleInput]>('blowWhistle');
export const reportInUpdate = defineUpdate<t.AppealCase, [t.ReportInInput]>('reportIn');
export const requestExtensionUpdate = defineUpdate<t.AppealCase, [t.RequestExtensionInput]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<t.AppealCase, [t.DecideExtensionInput]>('decideExtension');
export const requestCoordinationUpdate = defineUpdate<t.AppealCase, [t.RequestCoordinationInput]>(
  'requestCoordination',
);
export const giveCoordinationOpinionUpdate = defineUpdate<t.AppealCase, [t.CoordinationOpinionInput]>(
  'giveCoordinationOpinion',
);
export const reportResultUpdate = defineUpdate<t.AppealCase, [t.ReportResultInput]>('reportResult');
export const recordCallbackUpdate = defineUpdate<t.AppealCase, [t.CallbackAnswerInput]>('recordCallback');
export const orderRehandlingUpdate = defineUpdate<t.AppealCase, [t.OrderRehandlingInput]>('orderRehandling');
export const withdrawAppealUpdate = defineUpdate<t.AppealCase, [t.WithdrawInput]>('withdrawAppeal');
export const mergeAppealUpdate = defineUpdate<t.AppealCase, [t.MergeInput]>('mergeAppeal');

/** Telephony reports a callback answer fire-and-forget; the same rules apply as to the Update. */
export const recordCallbackSignal = defineSignal<[t.CallbackAnswerInput]>('recordCallback');

/** Sent by a duplicate's workflow to its original when the center merges it (并单): the original records the link. */
/** `workOrderNo`: the duplicate's, which the original's lead is told (duplicates merged before it was sent name their id). */
export const duplicateMergedSignal =
  defineSignal<[{ appealId: string; workOrderNo?: string; reason: string }]>('duplicateMerged');

/** Each action of the rules table (`domain/actions.ts`) and the Update that carries it. */
export const ACTION_UPDATES = {
  triageAppeal: triageAppealUpdate,
  giveConsultationOpinion: giveConsultationOpinionUpdate,
  concludeConsultation: concludeConsultationUpdate,
  acceptDispatch: acceptDispatchUpdate,
  objectToDispatch: objectToDispatchUpdate,
  decideObjection: decideObjectionUpdate,
  recordForwarding: recordForwardingUpdate,
  recordForwardingFeedback: recordForwardingFeedbackUpdate,
  recordFirstContact: recordFirstContactUpdate,
  addCoHandler: addCoHandlerUpdate,
  reportCoHandlerPart: reportCoHandlerPartUpdate,
  blowWhistle: blowWhistleUpdate,
  reportIn: reportInUpdate,
  requestExtension: requestExtensionUpdate,
  decideExtension: decideExtensionUpdate,
  requestCoordination: requestCoordinationUpdate,
  giveCoordinationOpinion: giveCoordinationOpinionUpdate,
  reportResult: reportResultUpdate,
  recordCallback: recordCallbackUpdate,
  orderRehandling: orderRehandlingUpdate,
  withdrawAppeal: withdrawAppealUpdate,
  mergeAppeal: mergeAppealUpdate,
} as const satisfies Record<ActionName, { name: string }>;
