/**
 * Art. 16, co-handling units (协办单位): the lead unit brings one in with a task; its part is due
 * before the main deadline by the policy's margin. Each runs as its own child workflow, which
 * owns that deadline; the appeal awaits its result. A late co-handler gives its reason and an
 * interim report before its final one; one that never reports by the main deadline is
 * recorded and the lead unit told.
 */
import * as wf from '@temporalio/workflow';
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { caseReasons, partyMessages, type CaseEnding } from '../../domain/partyMessages.js';
import { beijingTimeText } from '../../domain/requesterMessages.js';
import { PATCHES } from '../patches.js';
import {
  caseEndedSignal,
  coHandlerOverdueSignal,
  coHandlingReportSignal,
  coHandlingWorkflowId,
  extensionPendingSignal,
  mainDeadlineMovedSignal,
} from '../coHandler/definitions.js';
import { coHandlingWorkflow } from '../coHandler/workflow.js';
import { describeParty, type CoHandlerState } from './definitions.js';
import { onAction } from './rules.js';
import { AppealRun } from './run.js';

const coHandlerOf = (run: AppealRun, by: { role: string; unitId?: string }): CoHandlerState | undefined =>
  run.state.coHandlers.find((c) => c.unitId === by.unitId);

export function registerCoHandlerActions(run: AppealRun): void {
  const s = run.state;
  onAction(run, 'addCoHandler', {
    validate: (input) => {
      if (!input.unitId) throw invalidAction('addCoHandler', s.stage, 'unitId is required');
      if (!input.task?.trim()) throw invalidAction('addCoHandler', s.stage, 'task is required');
      if (input.unitId === s.leadUnitId)
        throw invalidAction('addCoHandler', s.stage, 'the lead unit cannot be its own co-handler');
      if (s.coHandlers.some((c) => c.unitId === input.unitId))
        throw actionNotAllowed('addCoHandler', s.stage, `${input.unitId} is already a co-handler`);
    },
    apply: async (input) => {
      const addedAt = run.now();
      const co: CoHandlerState = {
        unitId: input.unitId,
        task: input.task,
        dueAt: '',
        status: 'open',
        workflowId: coHandlingWorkflowId(s.appealId, input.unitId),
      };
      s.coHandlers.push(co);
      co.dueAt = await coHandlerDeadline(run, addedAt);
      const child = await wf.startChild(coHandlingWorkflow, {
        workflowId: co.workflowId,
        args: [
          {
            appealId: s.appealId,
            ...(s.workOrderNo ? { workOrderNo: s.workOrderNo } : {}),
            unitId: co.unitId,
            leadUnitId: s.leadUnitId!,
            task: co.task,
            dueAt: co.dueAt,
            mainDueAt: s.deadlines.handling!,
            ...(s.extension?.status === 'requested' ? { extensionPending: true } : {}),
          },
        ],
        staticSummary: `co-handler ${co.unitId} of appeal ${s.appealId}`,
      });
      run.children.set(co.unitId, child);
      run.notify(
        `unit:${co.unitId}`,
        'co_handler_added',
        partyMessages.coHandlerAdded(s, co.task, s.leadUnitId!, co.dueAt),
      );
      run.step('co_handler_added', describeParty(input.by), {
        at: addedAt,
        payload: { unitId: co.unitId, task: co.task, dueAt: co.dueAt },
      });
      run.alongsideOf(() => awaitPart(run, co, child));
    },
  });

  onAction(run, 'reportCoHandlerPart', {
    validate: (input) => {
      const co = coHandlerOf(run, input.by as { role: string; unitId?: string })!;
      if (!input.report?.trim()) throw invalidAction('reportCoHandlerPart', s.stage, 'report is required');
      if (co.status === 'done')
        throw actionNotAllowed('reportCoHandlerPart', s.stage, 'this co-handler has already reported');
      if (co.status === 'ended')
        throw actionNotAllowed(
          'reportCoHandlerPart',
          s.stage,
          `this co-handler's part has ended without its report (due ${beijingTimeText(co.dueAt)})`,
        );
      if (co.status === 'late' && !input.lateReason?.trim() && !co.lateReason)
        throw invalidAction(
          'reportCoHandlerPart',
          s.stage,
          'the co-handler deadline has passed: lateReason is required (Art. 16)',
          'lateReason',
        );
      if (co.status === 'late' && !input.interim && !co.interimAt)
        throw invalidAction(
          'reportCoHandlerPart',
          s.stage,
          'the co-handler deadline has passed: an interim report (interim: true) with the reason comes first (Art. 16)',
          'interim',
        );
    },
    apply: async (input) => {
      const co = coHandlerOf(run, input.by as { role: string; unitId?: string })!;
      const interim = input.interim ?? false;
      const at = run.now();
      if (input.lateReason) co.lateReason = input.lateReason;
      if (input.attachments?.length) co.attachments = [...(co.attachments ?? []), ...input.attachments];
      // The texts stay in the case: the lead writes its result from them.
      if (interim) {
        co.interimAt = at;
        (co.interimReports ??= []).push({ at, report: input.report });
      } else {
        co.status = 'done';
        co.reportedAt = at;
        co.report = input.report;
      }
      run.notify(
        `unit:${s.leadUnitId}`,
        'co_handler_report',
        partyMessages.coHandlerReport(s, co.unitId, interim, input.report),
      );
      run.step('co_handler_report', describeParty(input.by), {
        at,
        reason: input.lateReason,
        payload: {
          report: input.report,
          interim,
          ...(input.attachments?.length ? { attachments: input.attachments } : {}),
        },
      });
      await run.children.get(co.unitId)?.signal(coHandlingReportSignal, {
        report: input.report,
        interim,
        ...(input.lateReason ? { lateReason: input.lateReason } : {}),
      });
    },
  });

  // The child's own deadline passed without a final report.
  wf.setHandler(coHandlerOverdueSignal, ({ unitId, dueAt }) => {
    const co = s.coHandlers.find((c) => c.unitId === unitId);
    if (!co || co.status !== 'open') return;
    co.status = 'late';
    run.notify(`unit:${s.leadUnitId}`, 'co_handler_overdue', partyMessages.coHandlerOverdue(s, unitId, dueAt));
    const key = run.step('co_handler_overdue', 'center', { payload: { unitId, dueAt } });
    run.accountability(unitId, 'late_co_handler', caseReasons.noCoHandlerReport(dueAt), key);
  });
}

/**
 * Due by the policy's co-handler window, and at least the policy's margin before the main
 * deadline. With less time left than that, the policy says what the co-handler gets.
 */
async function coHandlerDeadline(run: AppealRun, from: string): Promise<string> {
  const limits = run.policyLimits;
  const main = run.state.deadlines.handling!;
  const own = await run.deadline(from, 'coHandler');
  // Each co-handler's own deadline is in its part (`coHandlers[].dueAt`): the policy's window
  // from now is only its bound, not a deadline of the case.
  delete run.state.deadlines.coHandler;
  const latest = AppealRun.before(main, limits.coHandlerMarginHours);
  if (latest > Date.parse(from)) return new Date(Math.min(Date.parse(own), latest)).toISOString();
  return limits.coHandlerWhenShort === 'main_deadline' ? main : own;
}

/** The appeal awaits the child's result: a missing report is recorded and the lead told. */
async function awaitPart(
  run: AppealRun,
  co: CoHandlerState,
  child: wf.ChildWorkflowHandle<typeof coHandlingWorkflow>,
): Promise<void> {
  const s = run.state;
  const outcome = await child.result();
  if (outcome.status !== 'missing' || co.status === 'done' || co.status === 'ended') return;
  co.status = 'ended';
  run.notify(`unit:${s.leadUnitId}`, 'co_handler_no_report', partyMessages.coHandlerNoReport(s, co.unitId));
  const key = run.step('co_handler_no_report', 'center', { payload: { unitId: co.unitId } });
  run.accountability(
    co.unitId,
    'co_handler_no_report',
    caseReasons.noCoHandlerReportByHandlingDeadline(s.deadlines.handling!),
    key,
  );
}

/** An extension moved the main deadline: each open co-handler's workflow hears it. */
export async function moveCoHandlerDeadlines(run: AppealRun): Promise<void> {
  const mainDueAt = run.state.deadlines.handling!;
  for (const co of run.state.coHandlers) {
    if (co.status === 'open' || co.status === 'late')
      await run.children.get(co.unitId)?.signal(mainDeadlineMovedSignal, { mainDueAt });
  }
}

/**
 * The lead's extension request waits for the center, or no longer does (decided, or lapsed at the
 * result): each open co-handler's workflow hears it, so that past the main deadline it waits for
 * the decision as the case does.
 */
export async function tellCoHandlersOfExtension(run: AppealRun, pending: boolean): Promise<void> {
  const open = run.state.coHandlers.filter((co) => co.status === 'open' || co.status === 'late');
  if (open.length === 0 || !wf.patched(PATCHES.coHandlersHearOfExtension)) return;
  await Promise.all(
    open.map(async (co) => {
      await run.children.get(co.unitId)?.signal(extensionPendingSignal, { pending });
    }),
  );
}

/** At the close: open co-handlers are told, their workflows ended by the appeal and awaited. */
export async function endCoHandlers(run: AppealRun, ending: CaseEnding): Promise<void> {
  const s = run.state;
  const open = s.coHandlers.filter((c) => c.status === 'open' || c.status === 'late');
  for (const co of open) {
    co.status = 'ended';
    run.notify(`unit:${co.unitId}`, 'case_ended', partyMessages.coHandlerCaseEnded(s, ending));
  }
  // The co-handler's workflow shows it in the Temporal UI, in the words it always had.
  const why = ending ? `was ${ending}` : 'is closed';
  await Promise.all(
    open.map(async (co) => {
      const child = run.children.get(co.unitId);
      if (!child) return;
      await child.signal(caseEndedSignal, { why });
      await child.result();
    }),
  );
}
