/**
 * How a case ends: the requester withdraws it, the center merges it into an open original
 * (并单, the original records the link and its units are told), or it closes after triage or
 * the callback. Open sub-matters end explicitly and their parties are told; then one
 * assessment per unit involved (Art. 25).
 */
import { requesterMessages } from '../../domain/requesterMessages.js';
import * as wf from '@temporalio/workflow';
import { invalidAction } from '../../domain/errors.js';
import { partyMessages } from '../../domain/partyMessages.js';
import { PATCHES } from '../patches.js';
import { appealWorkflowId, describeParty, duplicateMergedSignal } from './definitions.js';
import { endCoHandlers } from './coHandlers.js';
import { endCoordination } from './coordination.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';
import { endWhistle } from './whistle.js';

export function registerEndingActions(run: AppealRun): void {
  const s = run.state;
  onAction(run, 'withdrawAppeal', {
    validate: (input) => {
      if (!input.reason?.trim()) throw invalidAction('withdrawAppeal', s.stage, 'reason is required');
    },
    apply: (input) => {
      run.ended = { kind: 'withdrawn', reason: input.reason, by: describeParty(input.by) };
    },
    processed: () => false,
  });
  onAction(run, 'mergeAppeal', {
    validate: (input) => {
      if (!input.originalAppealId || input.originalAppealId === s.appealId)
        throw invalidAction('mergeAppeal', s.stage, 'originalAppealId must name another appeal');
      if (!input.reason?.trim()) throw invalidAction('mergeAppeal', s.stage, 'reason is required');
    },
    apply: (input) => {
      run.ended = {
        kind: 'merged',
        reason: input.reason,
        originalAppealId: input.originalAppealId,
        ...(input.originalWorkOrderNo ? { originalWorkOrderNo: input.originalWorkOrderNo } : {}),
        by: describeParty(input.by),
      };
    },
    processed: () => false,
  });
  // On an original: a duplicate was merged into it.
  wf.setHandler(duplicateMergedSignal, ({ appealId, workOrderNo, reason }) => {
    if (s.stage === 'closed') return;
    (s.mergedAppealIds ??= []).push(appealId);
    if (s.leadUnitId)
      run.notify(
        `unit:${s.leadUnitId}`,
        'duplicate_merged',
        partyMessages.duplicateMerged({ appealId, workOrderNo }, s, reason),
      );
    run.step('duplicate_merged', 'center', { reason, payload: { appealId } });
  });
}

/** Closing: the sub-matters still open end, the requester and the original hear, the units are assessed. */
export async function close(run: AppealRun): Promise<void> {
  const s = run.state;
  run.closing = true;
  const ended = run.ended;
  await endCoHandlers(run, ended?.kind);
  endWhistle(run, ended?.kind);
  endCoordination(run, ended?.kind);
  if (ended) {
    s.disposition = ended.kind;
    s.originalAppealId = ended.originalAppealId;
    if (s.leadUnitId)
      run.notify(`unit:${s.leadUnitId}`, 'case_ended', partyMessages.leadCaseEnded(s, ended.kind, ended.reason));
    if (ended.kind === 'merged') {
      run.notify('requester', 'merged', requesterMessages.merged(s, ended.originalWorkOrderNo));
      await linkToOriginal(run, ended.originalAppealId!, ended.reason);
    } else run.notify('requester', 'withdrawn', requesterMessages.withdrawn(s));
  } else if (s.leadUnitId && !s.forwarding && wf.patched(PATCHES.leadToldOfClose))
    run.notify(`unit:${s.leadUnitId}`, 'case_closed', partyMessages.leadCaseClosed(s, s.callback));
  s.stage = 'closed';
  // Closing meets no missed obligation: a case overdue stays so, since when it was.
  if (!(s.overdue && wf.patched(PATCHES.closedStaysOverdue))) run.onTime();
  run.waitOn('none');
  run.step(ended ? ended.kind : 'closed', ended ? ended.by : 'center', { reason: ended?.reason });
  await assess(run);
  await run.flush();
  await wf.condition(wf.allHandlersFinished);
}

async function linkToOriginal(run: AppealRun, originalAppealId: string, reason: string): Promise<void> {
  try {
    await wf.getExternalWorkflowHandle(appealWorkflowId(originalAppealId)).signal(duplicateMergedSignal, {
      appealId: run.state.appealId,
      ...(run.state.workOrderNo ? { workOrderNo: run.state.workOrderNo } : {}),
      reason,
    });
  } catch (error) {
    // The original closed in the meantime: the link stays on this case and in its audit trail.
    wf.log.warn('original appeal not told of the merge', { originalAppealId, error: (error as Error).message });
  }
}

/**
 * Art. 25: one row for every unit to be assessed — the lead, co-handlers, summoned departments —
 * each with its own facts. The requester's answers count only on a valid callback (reached, all
 * three answers); an unreachable requester is not counted against anyone. What the unit claimed
 * (a first contact, an outcome resolved) and whether it reported are kept beside the answers. A
 * withdrawn or merged case is exempt; a central/military matter is not a Beijing unit's order.
 */
async function assess(run: AppealRun): Promise<void> {
  const s = run.state;
  if (!s.leadUnitId || s.forwarding) return;
  const exemptReason = run.ended ? `${run.ended.kind}: ${run.ended.reason}` : null;
  const cb = s.callback;
  const valid =
    cb?.reached === true && cb.contacted !== undefined && cb.resolved !== undefined && cb.satisfaction !== undefined;
  const answers = {
    callbackValid: valid,
    contacted: valid ? cb.contacted! : null,
    resolved: valid ? cb.resolved! : null,
    satisfaction: valid ? cb.satisfaction! : null,
  };
  const claimedContacted = s.firstContactAt !== undefined;
  const units = [
    {
      unitId: s.leadUnitId,
      role: 'lead',
      responded: claimedContacted || answers.contacted === true,
      claimedContacted,
      claimedResolved: s.result?.outcome === 'resolved',
      reported: s.result !== undefined,
    },
    ...s.coHandlers.map((c) => ({ unitId: c.unitId, role: 'co_handler', reported: c.status === 'done' })),
    ...(s.whistle?.departments ?? []).map((x) => ({
      unitId: x.unitId,
      role: 'department',
      reported: x.status === 'done',
    })),
  ];
  // One row per unit: a unit with two parts is assessed in the first (lead, then co-handler).
  const seen = new Set<string>();
  const rows = units.filter((u) => !seen.has(u.unitId) && seen.add(u.unitId));
  await run.records.recordAssessment({
    appealId: s.appealId,
    closedAt: run.now(),
    units: rows.map((u) => ({
      claimedContacted: false,
      claimedResolved: false,
      responded: u.reported,
      ...answers,
      ...u,
      exempt: exemptReason !== null,
      exemptReason,
    })),
  });
}
