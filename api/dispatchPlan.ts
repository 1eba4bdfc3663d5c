/**
 * The dispatch plan read beside the center's decision to dispatch: the triage Update carries it,
 * and the case takes it instead of reading its own within its workflow task (one local activity
 * and one activation fewer per dispatch; see `fittingPlan` in workflows/appeal/triage.ts, which
 * decides whether it fits). A case with no record yet, out of triage, or one the catalogue
 * cannot plan for gets none: it reads its own plan and answers any refusal itself.
 */
import type { FastifyBaseLogger } from 'fastify';
import { planDispatch, type GivenDispatchPlan } from '../activities/dispatch/plan.js';
import type { Database } from '../db/client.js';
import type { getAppealRecord } from '../db/queries/cases.js';
import type { AppealType } from '../db/seed/data/types.js';

type AppealRecord = NonNullable<Awaited<ReturnType<typeof getAppealRecord>>>;

export async function planWithDecision(
  db: Database,
  record: AppealRecord | undefined,
  log: FastifyBaseLogger,
): Promise<GivenDispatchPlan | undefined> {
  if (!record || record.stage !== 'triage') return undefined;
  const input = {
    appealId: record.id,
    appealType: record.appealType as AppealType,
    categoryCode: record.categoryCode,
    ...(record.districtId ? { districtId: record.districtId } : {}),
    ...(record.streetId ? { streetId: record.streetId } : {}),
    at: new Date().toISOString(),
  };
  try {
    return { input, plan: await planDispatch(db, input) };
  } catch (error) {
    // The case reads its own plan, and meets the same refusal there, where it is answered.
    log.warn({ err: error }, 'dispatch plan not read with the decision; the case reads its own');
    return undefined;
  }
}
