/**
 * Registers an action as an Update whose validator reads the rules table (`domain/actions.ts`):
 * the stage must allow it (else 409) and the sender must be the party it names (else 403);
 * then the action's own checks (else 400 or 409). A refused action leaves no trace in history.
 */
import * as wf from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { ACTION_RULES, type ActionName, type CaseParty } from '../../domain/actions.js';
import { actionForbidden, actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { ACTION_UPDATES, describeParty, type AppealCase, type Party } from './definitions.js';
import type { AppealRun } from './run.js';

/** Whether `by` is this party of the case right now. */
export function isParty(s: AppealCase, by: Party, party: CaseParty): boolean {
  const unitId = by.role === 'unit' ? by.unitId : undefined;
  switch (party) {
    case 'center':
      return by.role === 'center';
    case 'intake':
      return by.role === 'intake';
    case 'dispatched_unit':
    case 'lead_unit':
      return unitId !== undefined && unitId === s.leadUnitId;
    case 'candidate_unit':
      return unitId !== undefined && (s.consultation?.candidateUnitIds.includes(unitId) ?? false);
    case 'co_handler':
      return unitId !== undefined && s.coHandlers.some((c) => c.unitId === unitId);
    case 'summoned_department':
      return unitId !== undefined && (s.whistle?.departments.some((x) => x.unitId === unitId) ?? false);
    case 'coordinator':
      return (
        by.role === 'coordinator' &&
        (s.coordination?.coordinatorId === by.unitId ||
          (s.earlierCoordinations ?? []).some((r) => r.coordinatorId === by.unitId) ||
          (s.escalations ?? []).some((e) => e.coordinatorId === by.unitId))
      );
    case 'liaison':
      return unitId !== undefined && unitId === s.forwarding?.liaisonUnitId;
  }
}

const PARTY_WORDS: Record<CaseParty, (s: AppealCase) => string> = {
  center: () => 'the hotline center',
  intake: () => 'intake, for the requester',
  dispatched_unit: (s) => `the dispatched unit ${s.leadUnitId ?? '(none)'}`,
  lead_unit: (s) => `the lead unit ${s.leadUnitId ?? '(none)'}`,
  candidate_unit: () => 'a candidate unit of the consultation',
  co_handler: () => 'a co-handling unit of this case',
  summoned_department: () => 'a department summoned by the whistle',
  coordinator: () => 'an authority asked to coordinate or escalated to',
  liaison: (s) => `the liaison ${s.forwarding?.liaisonUnitId ?? '(none)'}`,
};

/** The table's checks for one action: stage, then party. */
export function checkRule(run: AppealRun, action: ActionName, by: Party | undefined): void {
  const s = run.state;
  const rule = ACTION_RULES[action];
  if (!by || typeof by !== 'object') throw invalidAction(action, s.stage, 'the acting party (by) is missing');
  if (run.ended || !(rule.stages as readonly string[]).includes(s.stage))
    throw actionNotAllowed(
      action,
      s.stage,
      run.ended ? `the appeal is ${run.ended.kind}` : `allowed in ${rule.stages.join(', ')}`,
    );
  if (!rule.parties.some((p) => isParty(s, by, p)))
    throw actionForbidden(
      action,
      s.stage,
      describeParty(by),
      `only ${rule.parties.map((p) => PARTY_WORDS[p](s)).join(' or ')} may do this`,
    );
}

type InputOf<A extends ActionName> =
  (typeof ACTION_UPDATES)[A] extends UpdateDefinition<AppealCase, [infer I], string> ? I : never;

export interface ActionSpec<I> {
  /** The action's own checks, after the table's (input completeness, the sub-matter's state). */
  validate?: (input: I) => void;
  /** The change. A sub-matter's own work (deadlines, notices) may await activities here. */
  apply: (input: I) => void | Promise<void>;
  /** For actions the main process acts on: the Update answers once it has (and the record shows it). */
  processed?: () => boolean;
}

export function onAction<A extends ActionName>(run: AppealRun, action: A, spec: ActionSpec<InputOf<A>>): void {
  const update = ACTION_UPDATES[action] as unknown as UpdateDefinition<AppealCase, [InputOf<A>]>;
  wf.setHandler(
    update,
    async (input: InputOf<A>) => {
      run.acceptUpdate();
      // A retry of what an earlier run of the case accepted: answered with the case, not applied twice.
      if (run.repeatsEarlierRun) return run.snapshot();
      await spec.apply(input);
      // Read-your-writes for callers: the process has acted and the case record shows it.
      run.flushQueued();
      await wf.condition(
        () => (!spec.processed || (spec.processed() && run.waiting) || run.state.stage === 'closed') && run.recorded,
      );
      return run.snapshot();
    },
    {
      validator: (input: InputOf<A>) => {
        if (run.repeatsEarlierRun) return;
        checkRule(run, action, (input as { by?: Party } | undefined)?.by);
        spec.validate?.(input);
      },
    },
  );
}
