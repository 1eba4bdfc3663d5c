/**
 * A long case stays cheap: one that collects many actions (re-handling rounds, first contacts,
 * co-handlers' reports …) continues as new — a fresh run of the same workflow id, its history
 * short again — well before the server's per-execution limits (2,000 Updates; 51,200 events,
 * suggested to continue from 10,240). The API and every party address the case by its id only,
 * so they reach the new run without noticing.
 *
 * It continues only at a safe point of the handling stage: at the start of a re-handling round
 * and while handling waits. Only when nothing runs alongside the main process (no co-handler's
 * child workflow, no summoned department, no coordination or escalation waiting for an opinion):
 * those end by themselves, at the latest at their deadlines, and the case continues at the next
 * safe point after. The new run then needs nothing from the old one but the carried state: its
 * timers come back from the case's deadlines, which are instants.
 */
import * as wf from '@temporalio/workflow';
import type { PolicyLimits, WindowName } from '../../activities/deadlines/index.js';
import type { DeadlineRules } from '../../domain/workingCalendar.js';
import type { AppealCase } from './definitions.js';
import type { Inbox } from './inbox.js';
import type { AppealRun } from './run.js';
import type { appealWorkflow } from './workflow.js';

/** When a run is long enough to continue as new. */
export interface ContinueAsNewLimits {
  /** Events in the run's history (the server suggests continuing from 10,240 and stops at 51,200). */
  historyEvents: number;
  /** Updates accepted by the run (the server takes at most 2,000 per execution). */
  updates: number;
}

/**
 * Well below the server's limits: the headroom is for what arrives while the case waits for a
 * safe point (a co-handler reporting while its part is open, …).
 */
export const CONTINUE_AS_NEW_LIMITS: ContinueAsNewLimits = { historyEvents: 5_000, updates: 1_000 };

/** How far the handling stage had come: warnings already sent are not sent again. */
export interface HandlingProgress {
  /** When the stage started (the warnings are fractions of the time from then to the deadline). */
  startedAt: string;
  /** Indexes of the policy's warning fractions already sent. */
  warned: number[];
}

/** What a new run starts from: the case as it stands, and where the process resumes (handling). */
export interface CarriedCase {
  state: AppealCase;
  limits: PolicyLimits;
  /** A lean case's deadline rules (absent from cases that count none themselves). */
  rules?: DeadlineRules<WindowName>;
  inbox: Inbox;
  /** The audit trail's and the accountability records' sequence so far: their keys continue, never repeat. */
  steps: number;
  accountabilityRecords: number;
  handling: HandlingProgress;
  /** Runs of this case before the new one. */
  runs: number;
  /** The case's last Update ids (`CARRIED_UPDATE_IDS`): a client's retry of one is answered, not applied again. */
  updateIds: string[];
}

/**
 * Enough for the retries of the last minutes of a busy case, small beside the case itself. The
 * last one matters most: an Update completed in the task that continues as new may be delivered
 * again to the new run (temporal #6375); one the run had not yet seen is retried there by the
 * client (the server aborts it as retryable, temporal #6485), which is what makes the boundary
 * invisible to the API.
 */
export const CARRIED_UPDATE_IDS = 200;

/** The appeal workflow's second argument: none for a case the API starts. */
export interface AppealOptions {
  /** Lower limits than `CONTINUE_AS_NEW_LIMITS` (a test drives a case past them in a few actions). */
  continueAsNew?: Partial<ContinueAsNewLimits>;
  /** Set by the previous run when the case continued as new. */
  carried?: CarriedCase;
}

/** The run is past a limit (or the server suggests continuing). */
export function runIsLong(limits: ContinueAsNewLimits, updatesAccepted: number): boolean {
  const info = wf.workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= limits.historyEvents || updatesAccepted >= limits.updates;
}

/** An accepted action the main process has yet to take from the inbox. */
export const inboxHolds = (inbox: Inbox): boolean =>
  Object.entries(inbox).some(([name, value]) => name !== 'handlingChanged' && value !== undefined);

/**
 * At a safe point of the handling stage: continues as new when the run is long, after every
 * write of this run has landed and every accepted action has answered (no Update is left
 * unanswered across the boundary). Returns — the process goes on in this run — as soon as
 * continuing is no longer possible (an action for the process arrived, work started alongside,
 * the case is ending); it tries again at the next safe point.
 */
export async function continueAsNewIfDue(run: AppealRun, inbox: Inbox, handling: HandlingProgress): Promise<void> {
  while (run.mayContinueAsNew(inbox)) {
    await run.flush();
    await run.await(() => wf.allHandlersFinished() || !run.mayContinueAsNew(inbox));
    // Checked at once before continuing: nothing can arrive in between.
    if (!run.mayContinueAsNew(inbox) || !wf.allHandlersFinished() || !run.settled) continue;
    wf.log.info('appeal continues as new', {
      appealId: run.state.appealId,
      run: run.runs,
      historyLength: wf.workflowInfo().historyLength,
      updates: run.updatesAccepted,
    });
    const carried: CarriedCase = {
      state: run.snapshot(),
      limits: run.policyLimits,
      ...(run.rules ? { rules: run.rules } : {}),
      inbox,
      steps: run.sequence.steps,
      accountabilityRecords: run.sequence.accountabilityRecords,
      handling,
      runs: run.runs,
      updateIds: run.lastUpdateIds(CARRIED_UPDATE_IDS),
    };
    await wf.continueAsNew<typeof appealWorkflow>(run.order, { ...run.options, carried });
  }
}
