/**
 * The case as it stands when a work order comes in (Art. 11), before anyone acts on it, and who
 * owes something on a case. The workflow starts from this case, and the API records it with the
 * work order, so a case read right after its start shows what the workflow will show.
 */
import type { AppealCase, WorkOrder } from './appeal.js';

/** A new case: in triage, the center to act, nothing dispatched, no deadline yet. */
export function caseAtIntake(order: WorkOrder): AppealCase {
  return {
    appealId: order.appealId,
    stage: 'triage',
    appealType: order.appealType,
    categoryCode: order.categoryCode,
    districtId: order.districtId,
    streetId: order.streetId,
    stabilityRisk: order.stabilityRisk ?? false,
    supervisingUnitIds: [],
    coHandlers: [],
    escalations: [],
    mergedAppealIds: [],
    deadlines: {},
    overdue: false,
    escalationLevel: 0,
    acceptanceReminders: 0,
    rehandlings: 0,
    nextActor: 'center',
    pendingActors: ['center'],
    waitingSince: order.receivedAt,
    timeline: [],
  };
}

/** Everyone who owes something now, as actors; the main `nextActor` first. */
export function pendingActors(s: AppealCase): string[] {
  const open = (status: string) => status === 'open' || status === 'late' || status === 'requested';
  const actors = [
    s.stage === 'closed' ? undefined : s.nextActor,
    ...(s.stage === 'consultation'
      ? (s.consultation?.candidateUnitIds ?? [])
          .filter((id) => !s.consultation!.opinions.some((o) => o.unitId === id))
          .map((id) => `unit:${id}`)
      : []),
    ...s.coHandlers.filter((c) => open(c.status)).map((c) => `unit:${c.unitId}`),
    ...(s.whistle?.departments.filter((x) => open(x.status)).map((x) => `unit:${x.unitId}`) ?? []),
    s.extension?.status === 'requested' ? 'center' : undefined,
    s.coordination && open(s.coordination.status) ? `coordinator:${s.coordination.coordinatorId}` : undefined,
    ...(s.escalations ?? []).filter((e) => open(e.status)).map((e) => `coordinator:${e.coordinatorId}`),
  ];
  return [...new Set(actors.filter((a): a is string => a !== undefined && a !== 'none'))];
}
