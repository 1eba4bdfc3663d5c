import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { findDuplicateCandidates } from '../../db/queries/duplicates.js';
import { searchKnowledgeBase as searchEntries, type KnowledgeHit } from '../../db/queries/knowledge.js';
import { lookupDispatch, policyInForce, ReferenceDataError } from '../../db/queries/reference.js';
import type { AppealType } from '../../db/seed/data/types.js';
import { parseInstant } from '../deadlines/index.js';
import { DUPLICATE_WINDOW_DAYS, triageHintsOf, type TriageHints } from '../../domain/appeal.js';
import { planDispatch, type DispatchPlan, type PlanDispatchInput } from './plan.js';

export type { PolicyLimits, WindowName } from '../deadlines/index.js';
export type { DispatchRoute } from '../../db/queries/reference.js';
export type { UnitDescription } from '../../db/queries/escalation.js';
export type { DispatchPlan, GivenDispatchPlan, PlanDispatchInput } from './plan.js';

export interface KnowledgeSearchInput {
  question: string;
  categoryCode?: string;
  limit?: number;
}

export type KnowledgeAnswer = KnowledgeHit;

export interface FindDuplicatesInput {
  /** The appeal being triaged (left out of the result). */
  appealId: string;
  /** Personal data: matched in the database, never logged or returned. */
  requesterPhone?: string;
  categoryCode: string;
  districtId?: string;
  streetId?: string;
  /** ISO instant the appeal was received. */
  at: string;
  /** How far back to look; by default the duplicate window of the policy in force for the category. */
  windowDays?: number;
  /** Picks the policy when windowDays is not given; 'complaint' when absent. */
  appealType?: AppealType;
}

/** What intake looks up for the center's triage, in one activity. */
export interface TriageHintsInput {
  knowledge: KnowledgeSearchInput;
  duplicates: FindDuplicatesInput;
}

/** A possible original, as the case shows it at triage. */
export type DuplicateCandidate = TriageHints['duplicates'][number];

/** A lookup that cannot succeed is a business error: the workflow must not retry it. */
function asFailure(error: unknown): unknown {
  return error instanceof ReferenceDataError ? ApplicationFailure.nonRetryable(error.message, error.type) : error;
}

export function createDispatchActivities(deps: { db: Database; log: Logger }) {
  /**
   * The duplicate window of the policy the appeal would be dispatched under. A repeat is
   * only a hint at triage, so a category or place the catalogue cannot resolve falls back to
   * the default window rather than failing the triage.
   */
  const duplicateWindowDays = async (input: FindDuplicatesInput): Promise<number> => {
    try {
      const decision = await lookupDispatch(deps.db, {
        categoryCode: input.categoryCode,
        districtId: input.districtId ?? null,
        streetId: input.streetId ?? null,
      });
      const policy = await policyInForce(deps.db, {
        code: decision.policyCode,
        appealType: input.appealType ?? 'complaint',
        at: parseInstant(input.at, 'at'),
      });
      return policy.duplicateWindowDays;
    } catch (error) {
      if (!(error instanceof ReferenceDataError)) throw error;
      deps.log.warn(
        { appealId: input.appealId, reason: error.type },
        'no policy for the duplicate window; default used',
      );
      return DUPLICATE_WINDOW_DAYS;
    }
  };

  /** Art. 13: knowledge-base answers for a consultation, best first. The question is never logged. */
  async function searchKnowledgeBase(input: KnowledgeSearchInput): Promise<KnowledgeAnswer[]> {
    const hits = await searchEntries(deps.db, input);
    deps.log.debug(
      { categoryCode: input.categoryCode, hits: hits.length, best: hits[0]?.id },
      'knowledge base searched',
    );
    return hits;
  }

  /** Art. 12: candidate originals of a repeated appeal (same requester, place and category, recent). */
  async function findDuplicates(input: FindDuplicatesInput): Promise<DuplicateCandidate[]> {
    if (!input.requesterPhone) return [];
    const windowDays = input.windowDays ?? (await duplicateWindowDays(input));
    const rows = await findDuplicateCandidates(deps.db, {
      requesterPhone: input.requesterPhone,
      categoryCode: input.categoryCode,
      districtId: input.districtId ?? null,
      streetId: input.streetId ?? null,
      at: parseInstant(input.at, 'at'),
      windowDays,
      excludeAppealId: input.appealId,
    });
    deps.log.info(
      { appealId: input.appealId, windowDays, candidates: rows.map((r) => r.id) },
      'duplicate candidates found',
    );
    return rows.map((r) => ({
      appealId: r.id,
      stage: r.stage,
      leadUnitId: r.leadUnitId,
      dueAt: r.dueAt?.toISOString() ?? null,
      disposition: r.disposition,
      receivedAt: r.receivedAt.toISOString(),
      closedAt: r.closedAt?.toISOString() ?? null,
    }));
  }

  return {
    /**
     * Art. 14: where the order goes (dispatch catalogue, most specific entry first, district
     * government and manual-queue fallbacks), the policy version in force at `at`, and the
     * acceptance and handling deadlines from `at`.
     */
    async planDispatch(input: PlanDispatchInput): Promise<DispatchPlan> {
      try {
        const plan = await planDispatch(deps.db, input);
        deps.log.info(
          {
            appealId: input.appealId,
            route: plan.route,
            leadUnitId: plan.leadUnitId,
            matchedScope: plan.matchedScope,
            policy: `${plan.policy.code}@${plan.policy.version}`,
            calendar: plan.calendar,
          },
          'dispatch planned',
        );
        return plan;
      } catch (error) {
        throw asFailure(error);
      }
    },

    searchKnowledgeBase,
    findDuplicates,

    /** Art. 12-13: both lookups for the center's triage at once (one activity task instead of two). */
    async findTriageHints(input: TriageHintsInput): Promise<TriageHints> {
      const [knowledge, duplicates] = await Promise.all([
        searchKnowledgeBase(input.knowledge),
        findDuplicates(input.duplicates),
      ]);
      return triageHintsOf(knowledge, duplicates);
    },
  };
}
