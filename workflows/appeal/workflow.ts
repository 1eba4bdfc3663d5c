/**
 * One appeal (诉求), from intake to assessment, as one durable workflow. It reads like the
 * regulation: intake (Art. 11), triage (Art. 12), dispatch (Art. 14) or forwarding of a
 * central/military matter (Art. 23), acceptance and objections (Art. 14, 16), handling with
 * co-handlers, whistle, extension and tiered coordination running alongside (Art. 16-18, 21-22),
 * callback (Art. 24), re-handling, and the close with assessment and accountability (Art. 25, 29).
 * Each sub-matter lives in its own file with its validators, handlers and part of the process.
 *
 * Deadlines are instants counted from the policy version the case keeps: by the case itself from
 * the rules its dispatch plan brought (lean cases), else by an activity; this code only compares
 * instants and sets timers. A long case continues as new in its handling stage
 * (continuation.ts): the new run starts from the carried case, where the old one left it.
 */
import * as wf from '@temporalio/workflow';
import { PATCHES } from '../patches.js';
import { awaitAcceptance, registerAcceptanceActions } from './acceptance.js';
import { callBack, orderRehandling, registerCallbackActions } from './callback.js';
import { registerCoHandlerActions } from './coHandlers.js';
import { continueAsNewIfDue, type AppealOptions, type HandlingProgress } from './continuation.js';
import { registerCoordinationActions } from './coordination.js';
import { caseQuery, intakeRecordedUpdate, type AppealCase, type WorkOrder } from './definitions.js';
import { close, registerEndingActions } from './ending.js';
import { registerExtensionActions } from './extension.js';
import { forward, registerForwardingActions } from './forwarding.js';
import { handle, registerHandlingActions } from './handling.js';
import { emptyInbox, type Inbox } from './inbox.js';
import { legacyAppealWorkflow } from './legacy/workflow.js';
import { AppealRun, CaseEnded } from './run.js';
import { assignLead, intake, registerTriageActions, triage } from './triage.js';
import { registerWhistleActions } from './whistle.js';

export async function appealWorkflow(order: WorkOrder, options: AppealOptions = {}): Promise<AppealCase> {
  // Cases started before this process finish on the process they started with. A case's era is
  // one marker, the newest change it started with (AppealRun reads the same answers again).
  const era = [
    PATCHES.noticesWithSteps,
    PATCHES.recordedCase,
    PATCHES.localNotices,
    PATCHES.localDispatchPlan,
    PATCHES.leanCase,
    PATCHES.everyParty,
  ] as const;
  if (!era.some((patch) => wf.patched(patch))) return legacyAppealWorkflow(order);

  const run = new AppealRun(order, options);
  const inbox = options.carried?.inbox ?? emptyInbox();
  wf.setHandler(caseQuery, run.snapshot);
  wf.setHandler(intakeRecordedUpdate, async () => {
    run.acceptUpdate();
    // A case that records its current case answers once that is in the record too (read-your-writes).
    await wf.condition(
      () => run.intakeRecorded && (!run.recordsCase || ((run.waiting || run.state.stage === 'closed') && run.recorded)),
    );
    return run.snapshot();
  });
  registerTriageActions(run, inbox);
  registerAcceptanceActions(run, inbox);
  registerForwardingActions(run, inbox);
  registerHandlingActions(run, inbox);
  registerCoHandlerActions(run);
  registerWhistleActions(run);
  registerExtensionActions(run, inbox);
  registerCoordinationActions(run);
  registerCallbackActions(run, inbox);
  registerEndingActions(run);

  try {
    if (options.carried) {
      // Continued as new: the case resumes in its handling stage, where the previous run left it.
      run.publish();
      await handleUntilCalledBack(run, inbox, options.carried.handling);
    } else await fromIntake(run, inbox);
  } catch (error) {
    if (!(error instanceof CaseEnded)) throw error;
  }
  await close(run);
  return run.snapshot();
}

/** Intake, triage, dispatch or forwarding, acceptance, then handling until a callback closes it. */
async function fromIntake(run: AppealRun, inbox: Inbox): Promise<void> {
  await intake(run);
  const dispatch = await triage(run, inbox);
  if (!dispatch) return;
  // One read at dispatch: the plan brings the policy's limits, the lead's description and the
  // deadlines from the decision (plans made before carry none of them: each is read as before).
  const { plan } = dispatch;
  const oneRead = run.runsWith(PATCHES.oneReadAtDispatch);
  run.limits =
    (oneRead ? plan.limits : undefined) ??
    (await run.records.getPolicyLimits({ policyCode: plan.policy.code, policyVersion: plan.policy.version }));
  const kind = await assignLead(
    run,
    dispatch.leadUnitId,
    oneRead && plan.lead?.id === dispatch.leadUnitId ? plan.lead : undefined,
  );
  if (kind === 'central_military_liaison') {
    await forward(run, inbox);
    await callBack(run, inbox, 'result');
    return;
  }
  await awaitAcceptance(
    run,
    inbox,
    oneRead && dispatch.plannedAt ? { at: dispatch.plannedAt, deadlines: plan.deadlines } : undefined,
  );
  await handleUntilCalledBack(run, inbox);
}

/**
 * Handling, the callback, and a re-handling round for each unsatisfied answer the center sends
 * back, until a callback closes the case. Each round starts at a safe point to continue as new.
 */
async function handleUntilCalledBack(run: AppealRun, inbox: Inbox, resumed?: HandlingProgress): Promise<void> {
  for (;;) {
    const ended = await handle(run, inbox, resumed);
    resumed = undefined;
    // By policy the callback waits for the deadline even when the result came early.
    if (ended === 'result' && !run.policyLimits.callbackOnResult)
      await run.await(() => false, run.state.deadlines.handling);
    const next = await callBack(
      run,
      inbox,
      ended === 'result' && run.policyLimits.callbackOnResult ? 'result' : 'deadline',
    );
    if (next === 'closed') return;
    await orderRehandling(run, inbox);
    await continueAsNewIfDue(run, inbox, { startedAt: run.now(), warned: [] });
  }
}
