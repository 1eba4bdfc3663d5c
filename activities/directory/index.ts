import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { describeUnit, escalationTiers, type UnitDescription } from '../../db/queries/escalation.js';
import { getPolicy } from '../../db/queries/reference.js';

export type { UnitDescription } from '../../db/queries/escalation.js';

export interface DescribeUnitInput {
  unitId: string;
  /** For the log only. */
  appealId?: string;
}

export interface EscalationTiersInput {
  appealId: string;
  categoryCode: string;
  districtId?: string | null;
  streetId?: string | null;
  leadUnitId: string;
  /** The policy version the case keeps: its levels and city tier apply. */
  policyCode: string;
  policyVersion: number;
}

/** Directory look-ups the workflow decides with. Read-only, so any retry is safe. */
export function createDirectoryActivities(deps: { db: Database; log: Logger }) {
  return {
    /** A handling unit (street and township included) with its kind and district government; null when unknown. */
    async describeUnit(input: DescribeUnitInput): Promise<UnitDescription | null> {
      const unit = (await describeUnit(deps.db, input.unitId)) ?? null;
      deps.log.debug({ appealId: input.appealId, unitId: input.unitId, kind: unit?.kind }, 'unit described');
      return unit;
    },

    /** Art. 22: the authorities the case escalates to, tier 1 first, as many as the policy allows. */
    async escalationTiers(input: EscalationTiersInput): Promise<string[]> {
      const policy = await getPolicy(deps.db, input.policyCode, input.policyVersion);
      if (!policy) {
        throw ApplicationFailure.nonRetryable(
          `unknown deadline policy ${input.policyCode} version ${input.policyVersion}`,
          'UnknownPolicy',
        );
      }
      const tiers = await escalationTiers(deps.db, {
        categoryCode: input.categoryCode,
        districtId: input.districtId ?? null,
        streetId: input.streetId ?? null,
        leadUnitId: input.leadUnitId,
        cityEscalationUnitId: policy.cityEscalationUnitId,
        levels: policy.escalationLevels,
      });
      deps.log.info(
        { appealId: input.appealId, leadUnitId: input.leadUnitId, policy: `${policy.code}@${policy.version}`, tiers },
        'escalation tiers resolved',
      );
      return tiers;
    },
  };
}
