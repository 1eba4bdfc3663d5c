/**
 * Art. 22, tiered coordination (分级协调): the lead unit asks a district government or sector
 * authority to coordinate, and the process escalates an overdue case tier by tier (the street's
 * district government or the sector authority, then the city level — from the directory and
 * the policy). Either way the authority becomes a party: it sees the case, owes an opinion in
 * the policy's window, and is late like anyone else.
 */
import { actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { caseReasons, partyMessages, type CaseEnding } from '../../domain/partyMessages.js';
import { describeParty, type CoordinationState, type EscalationState } from './definitions.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

export function registerCoordinationActions(run: AppealRun): void {
  const s = run.state;
  onAction(run, 'requestCoordination', {
    validate: (input) => {
      if (!input.coordinatorId) throw invalidAction('requestCoordination', s.stage, 'coordinatorId is required');
      if (!input.reason?.trim())
        throw invalidAction('requestCoordination', s.stage, 'a coordination request needs a reason');
      if (s.coordination?.status === 'requested' || s.coordination?.status === 'late')
        throw actionNotAllowed('requestCoordination', s.stage, 'a coordination request is already open');
    },
    apply: async (input) => {
      const requestedAt = run.now();
      // An earlier request gives way, its opinion kept: its authority stays a party of the case.
      if (s.coordination) (s.earlierCoordinations ??= []).push(s.coordination);
      s.coordination = {
        coordinatorId: input.coordinatorId,
        status: 'requested',
        reason: input.reason,
        requestedAt,
        dueAt: '',
      };
      const request = s.coordination;
      request.dueAt = await run.deadline(requestedAt, 'coordinationOpinion');
      run.notify(
        `coordinator:${input.coordinatorId}`,
        'coordination_requested',
        partyMessages.coordinationRequested(s, s.leadUnitId!, input.reason, request.dueAt),
      );
      run.step('coordination_requested', describeParty(input.by), {
        at: requestedAt,
        reason: input.reason,
        payload: { coordinatorId: input.coordinatorId, dueAt: request.dueAt },
      });
      run.alongsideOf(async () => void (await awaitOpinion(run, request, 'coordination')));
    },
  });

  onAction(run, 'giveCoordinationOpinion', {
    validate: (input) => {
      if (!input.opinion?.trim()) throw invalidAction('giveCoordinationOpinion', s.stage, 'opinion is required');
      if (!openRequestOf(run, (input.by as { unitId: string }).unitId))
        throw actionNotAllowed('giveCoordinationOpinion', s.stage, 'no coordination or escalation waits on you');
    },
    apply: (input) => {
      const coordinatorId = (input.by as { unitId: string }).unitId;
      const request = openRequestOf(run, coordinatorId)!;
      request.status = 'answered';
      request.opinion = input.opinion;
      request.answeredAt = run.now();
      run.notify(
        `unit:${s.leadUnitId}`,
        'coordination_opinion',
        partyMessages.coordinationOpinion(s, coordinatorId, input.opinion),
      );
      run.step('coordination_opinion', describeParty(input.by), {
        reason: input.opinion,
        payload: 'level' in request ? { level: (request as EscalationState).level } : {},
      });
    },
  });
}

/** The lead's own request first, then the latest escalation, that waits on this authority. */
function openRequestOf(run: AppealRun, coordinatorId: string): CoordinationState | undefined {
  const waiting = (r?: CoordinationState) =>
    r && r.coordinatorId === coordinatorId && (r.status === 'requested' || r.status === 'late') ? r : undefined;
  return waiting(run.state.coordination) ?? [...(run.state.escalations ?? [])].reverse().find((e) => waiting(e));
}

/**
 * One tier up (Art. 22): the next authority of the chain (from the directory and the policy) is
 * asked for an opinion within the policy's window. False when every tier has been asked.
 */
export async function escalate(run: AppealRun, cause: EscalationState['cause'], why: string): Promise<boolean> {
  const s = run.state;
  const tiers = await run.records.escalationTiers({
    appealId: s.appealId,
    categoryCode: s.categoryCode,
    districtId: s.districtId ?? null,
    streetId: s.streetId ?? null,
    leadUnitId: s.leadUnitId!,
    policyCode: s.policy!.code,
    policyVersion: s.policy!.version,
  });
  const level = s.escalationLevel + 1;
  const coordinatorId = tiers[level - 1];
  if (!coordinatorId) return false;
  const requestedAt = run.now();
  const dueAt = await run.deadline(requestedAt, 'coordinationOpinion');
  const escalation: EscalationState = {
    level,
    cause,
    coordinatorId,
    status: 'requested',
    reason: why,
    requestedAt,
    dueAt,
  };
  s.escalationLevel = level;
  (s.escalations ??= []).push(escalation);
  run.notify(`coordinator:${coordinatorId}`, 'escalation', partyMessages.escalation(s, level, why, dueAt));
  run.step('escalated', 'center', { at: requestedAt, reason: why, payload: { level, coordinatorId, cause, dueAt } });
  run.alongsideOf(async () => {
    await awaitOpinion(run, escalation, 'escalation');
    // A handling breach climbs on while the tier stays silent; acceptance climbs by its reminders.
    if (escalation.status === 'late' && cause === 'handling' && !run.closing)
      await escalate(run, cause, caseReasons.tierSilent(level, coordinatorId, dueAt));
  });
  return true;
}

/** Waits for the authority's opinion; a missed window is recorded against it. True when it answered in time. */
async function awaitOpinion(
  run: AppealRun,
  request: CoordinationState,
  what: 'coordination' | 'escalation',
): Promise<boolean> {
  const s = run.state;
  if (await run.waitUntil(() => request.status !== 'requested', request.dueAt)) return request.status === 'answered';
  if (request.status !== 'requested') return false;
  request.status = 'late';
  run.notify(
    `coordinator:${request.coordinatorId}`,
    'coordination_overdue',
    partyMessages.coordinationOverdue(s, request.dueAt),
  );
  const key = run.step('coordination_overdue', 'center', {
    payload: { coordinatorId: request.coordinatorId, dueAt: request.dueAt, what },
  });
  run.accountability(
    request.coordinatorId,
    'late_coordination_opinion',
    caseReasons.noOpinion(what, request.dueAt),
    key,
  );
  return false;
}

/** At the close: open requests end, their authorities are told. */
export function endCoordination(run: AppealRun, ending: CaseEnding): void {
  const s = run.state;
  for (const request of [s.coordination, ...(s.escalations ?? [])]) {
    if (!request || (request.status !== 'requested' && request.status !== 'late')) continue;
    request.status = 'ended';
    run.notify(`coordinator:${request.coordinatorId}`, 'case_ended', partyMessages.coordinationCaseEnded(s, ending));
  }
}
