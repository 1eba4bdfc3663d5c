/**
 * Art. 16-17, 21-22: the lead unit contacts the requester and handles the appeal until it
 * reports a result. Yellow-light warnings go out at the policy's fractions of the handling
 * time; at the deadline without a result the unit is held to account, gets the red-light
 * notice, the case escalates, and the callback starts (Art. 24) — escalation alongside it.
 */
import * as wf from '@temporalio/workflow';
import { caseReasons, partyMessages } from '../../domain/partyMessages.js';
import { PATCHES } from '../patches.js';
import { requesterMessages } from '../../domain/requesterMessages.js';
import { invalidAction } from '../../domain/errors.js';
import { continueAsNewIfDue, type HandlingProgress } from './continuation.js';
import { escalate } from './coordination.js';
import { describeParty } from './definitions.js';
import { tellCoHandlersOfExtension } from './coHandlers.js';
import type { Inbox } from './inbox.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

export function registerHandlingActions(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  onAction(run, 'recordFirstContact', {
    apply: (input) => {
      s.firstContactAt ??= run.now();
      run.step('first_contact', describeParty(input.by), { reason: input.note });
    },
  });
  onAction(run, 'reportResult', {
    validate: (input) => {
      if (!['resolved', 'explained', 'unresolvable'].includes(input.outcome))
        throw invalidAction('reportResult', s.stage, 'outcome must be resolved, explained or unresolvable');
      if (!input.summary?.trim()) throw invalidAction('reportResult', s.stage, 'summary is required');
    },
    apply: (input) => {
      inbox.result = input;
    },
    processed: () => inbox.result === undefined,
  });
}

/** How handling ended: a result was reported, or the deadline passed without one. */
export type HandlingEnd = 'result' | 'deadline';

/**
 * `resumed`: how far handling had come when the case continued as new. A long wait here is a
 * safe point to continue as new (continuation.ts).
 */
export async function handle(run: AppealRun, inbox: Inbox, resumed?: HandlingProgress): Promise<HandlingEnd> {
  const s = run.state;
  const lead = s.leadUnitId!;
  const started = Date.parse(resumed?.startedAt ?? run.now());
  const warned = new Set<number>(resumed?.warned);
  for (;;) {
    const due = Date.parse(s.deadlines.handling!);
    const fractions = run.policyLimits.warningFractions;
    const warnings = fractions.map((f) => started + (due - started) * f);
    const nextWarning = Math.min(...warnings.filter((at, i) => !warned.has(i) && at < due), due);
    const changed = inbox.handlingChanged;
    const acted = await run.await(
      () => inbox.result !== undefined || inbox.handlingChanged !== changed || run.mayContinueAsNew(inbox),
      new Date(nextWarning).toISOString(),
    );
    if (inbox.result !== undefined) return await reportResult(run, inbox);
    if (acted && run.mayContinueAsNew(inbox)) {
      await continueAsNewIfDue(run, inbox, { startedAt: new Date(started).toISOString(), warned: [...warned] });
      continue;
    }
    if (acted) continue; // the deadline moved or an extension was asked or decided: look again
    const now = Date.now();
    if (now < due) {
      warnings.forEach((at, i) => {
        if (warned.has(i) || now < at) return;
        warned.add(i);
        run.notify(
          `unit:${lead}`,
          'deadline_warning',
          partyMessages.deadlineWarning(s, fractions[i]!, s.deadlines.handling!),
        );
        run.step('deadline_warning', 'center', { payload: { fraction: fractions[i] } });
      });
      continue;
    }
    // At the deadline with an extension request pending, the center decides first; the unit is judged then.
    if (s.extension?.status === 'requested') {
      if (!s.overdue) {
        run.markOverdue(s.deadlines.handling!);
        run.waitOn('center', s.deadlines.handling);
        run.step('handling_deadline_extension_pending', 'center', { payload: { dueAt: s.deadlines.handling } });
      }
      await run.await(() => inbox.result !== undefined || inbox.handlingChanged !== changed);
      if (inbox.result !== undefined) return await reportResult(run, inbox);
      if (Date.now() < Date.parse(s.deadlines.handling!)) run.waitOn(`unit:${lead}`, s.deadlines.handling);
      continue;
    }
    await breach(run);
    return 'deadline';
  }
}

async function reportResult(run: AppealRun, inbox: Inbox): Promise<HandlingEnd> {
  const s = run.state;
  const result = inbox.result!;
  inbox.result = undefined;
  // The report's attachments are references (Art. 9(2)): they travel with the case, their bytes never do.
  const attachments = result.attachments?.length ? { attachments: result.attachments } : {};
  s.result = { outcome: result.outcome, summary: result.summary, at: run.now(), ...attachments };
  // A request for more time still waiting for the center is moot once the result is in.
  const lapsed = s.extension?.status === 'requested' && wf.patched(PATCHES.extensionLapsesAtResult);
  if (lapsed)
    Object.assign(s.extension!, {
      status: 'lapsed',
      decidedAt: run.now(),
      decisionReason: caseReasons.extensionLapsed,
    });
  run.enter('result_reported', 'center', s.deadlines.handling);
  run.notify('requester', 'result', requesterMessages.result(s, result.summary, result.outcome));
  run.notify('center', 'result', partyMessages.resultReported(s, s.leadUnitId!, result.outcome));
  run.step('result_reported', describeParty(result.by), {
    reason: result.summary,
    payload: { outcome: result.outcome, ...attachments },
  });
  if (lapsed) await tellCoHandlersOfExtension(run, false);
  return 'result';
}

/** The handling deadline passed without a result (Art. 22, 29). */
async function breach(run: AppealRun): Promise<void> {
  const s = run.state;
  const lead = s.leadUnitId!;
  const due = s.deadlines.handling!;
  run.markOverdue(due);
  const extended = s.extension?.status === 'approved';
  run.notify(`unit:${lead}`, 'red_light', partyMessages.redLight(s, due, extended));
  const key = run.step('handling_overdue', 'center', { payload: { dueAt: due, extended } });
  run.accountability(
    lead,
    extended ? 'overdue_extended_handling' : 'overdue_handling',
    caseReasons.handlingBreached(due, extended),
    key,
  );
  await escalate(run, 'handling', caseReasons.handlingBreached(due, extended));
}
