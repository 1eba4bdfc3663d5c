/**
 * The dispatch plan (Art. 14): the catalogue's answer for a case's category and place, the
 * policy version in force at the center's decision, and the deadlines counted from it. The
 * workflow reads it as a local activity; the API reads the same plan beside the center's
 * decision, and the case takes it when it fits (see `GivenDispatchPlan`).
 */
import type { Database } from '../../db/client.js';
import { describeUnit, type UnitDescription } from '../../db/queries/escalation.js';
import { lookupDispatch, policyInForce, type DispatchRoute } from '../../db/queries/reference.js';
import type { DispatchCatalogueEntry } from '../../db/schema/reference.js';
import type { AppealType } from '../../db/seed/data/types.js';
import type { HandlingUnitKind } from '../../domain/appeal.js';
import type { DeadlineRules } from '../../domain/workingCalendar.js';
import {
  computeWindows,
  deadlineRulesOf,
  parseInstant,
  policyLimitsOf,
  type CalendarStatus,
  type PolicyLimits,
  type WindowName,
} from '../deadlines/index.js';

export interface PlanDispatchInput {
  appealId: string;
  appealType: AppealType;
  categoryCode: string;
  districtId?: string;
  streetId?: string;
  /** ISO instant of the dispatch decision: picks the policy version and starts the windows. */
  at: string;
}

/** The catalogue's answer, the policy version the order keeps, and its first deadlines. */
export interface DispatchPlan {
  route: DispatchRoute;
  /** null: the manual queue (nothing matched and the district is unknown): the center chooses. */
  leadUnitId: string | null;
  /** The lead's kind (a street or township blows the whistle and escalates to its district government); null with no lead. */
  leadUnitKind: HandlingUnitKind | null;
  /** The district the location resolved to (from the street when only the street was given). */
  districtId: string | null;
  /** The district government, to supervise, when a street or township leads (Art. 14). */
  notifyUnitIds: string[];
  /** Units to consult (会商) for a complex appeal. */
  candidateUnitIds: string[];
  /** The policy version in force at `at`: the order keeps it for every later window. */
  policy: { code: string; version: number };
  /** The catalogue's scope that decided; null when no entry matched (fallback). */
  matchedScope: DispatchCatalogueEntry['scope'] | null;
  /** Acceptance and handling deadlines counted from `at` (handling is recounted from acceptance by the workflow if it wishes). */
  deadlines: { acceptance: string; handling: string };
  calendar: CalendarStatus;
  calendarNote?: string;
  /** Set when the catalogue's policy did not cover the appeal type and another policy applies. */
  policyNote?: string;
  /**
   * The policy version's limits and the catalogue lead's description, read in the same activity,
   * so that a dispatch needs one round trip (absent from plans made before they were added).
   */
  limits?: PolicyLimits;
  lead?: UnitDescription | null;
  /**
   * The policy version's windows and the official calendar of the dispatch year and the next:
   * the case counts its later deadlines with them (absent from plans made before they were added).
   */
  rules?: DeadlineRules<WindowName>;
}

/**
 * A plan read with the center's decision, by the API, and the input it was read for. The case
 * takes it instead of reading its own when the input is its own and `at` is an instant of its
 * recent past (appeal/triage.ts); otherwise it reads.
 */
export interface GivenDispatchPlan {
  input: PlanDispatchInput;
  plan: DispatchPlan;
}

/** Reads and computes the plan for `input` (throws `ReferenceDataError` when the catalogue cannot answer). */
export async function planDispatch(db: Database, input: PlanDispatchInput): Promise<DispatchPlan> {
  const at = parseInstant(input.at, 'at');
  const decision = await lookupDispatch(db, {
    categoryCode: input.categoryCode,
    districtId: input.districtId ?? null,
    streetId: input.streetId ?? null,
  });
  const policy = await policyInForce(db, {
    code: decision.policyCode,
    appealType: input.appealType,
    at,
  });
  const computed = computeWindows(policy, at, ['acceptance', 'handling']);
  const lead = decision.leadUnitId ? await describeUnit(db, decision.leadUnitId) : undefined;
  return {
    route: decision.route,
    leadUnitId: decision.leadUnitId,
    leadUnitKind: lead?.kind ?? null,
    districtId: decision.districtId,
    notifyUnitIds: decision.notifyUnitIds,
    candidateUnitIds: decision.candidateUnitIds,
    policy: { code: policy.code, version: policy.version },
    matchedScope: decision.matchedScope,
    deadlines: {
      acceptance: computed.deadlines.acceptance!,
      handling: computed.deadlines.handling!,
    },
    calendar: computed.calendar,
    ...(computed.calendarNote ? { calendarNote: computed.calendarNote } : {}),
    ...(policy.code !== decision.policyCode
      ? {
          policyNote: `policy '${decision.policyCode}' does not cover ${input.appealType} appeals; '${policy.code}' applies`,
        }
      : {}),
    limits: policyLimitsOf(policy),
    lead: lead ?? null,
    rules: deadlineRulesOf(policy, at),
  };
}
