import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { writeAccountabilityRecord, writeAssessments } from '../../db/queries/assessment.js';
import type { AccountabilityKind } from '../../domain/appeal.js';

export interface UnitAssessmentInput {
  unitId: string;
  role: string;
  responded: boolean;
  resolved: boolean;
  satisfaction: string | null;
  exempt: boolean;
  exemptReason: string | null;
}

export function createAssessmentActivities(deps: { db: Database; log: Logger }) {
  return {
    /** Art. 25: at close, one assessment per unit involved. Idempotent. */
    async recordAssessment(input: { appealId: string; closedAt: string; units: UnitAssessmentInput[] }): Promise<void> {
      const closedAt = new Date(input.closedAt);
      const written = await writeAssessments(
        deps.db,
        input.units.map((u) => ({ ...u, appealId: input.appealId, closedAt })),
      );
      deps.log.info({ appealId: input.appealId, units: input.units.length, written }, 'assessment recorded');
    },

    /** Art. 29: a breach recorded against a unit (ACCOUNTABILITY_KINDS in domain/appeal.ts). Idempotent. */
    async recordAccountability(input: {
      appealId: string;
      stepKey: string;
      unitId: string;
      kind: AccountabilityKind;
      detail: string;
      at: string;
      /** The audit event of the same breach, so that a supervisor can go from one to the other. */
      auditStepKey?: string;
    }): Promise<void> {
      const created = await writeAccountabilityRecord(deps.db, {
        appealId: input.appealId,
        stepKey: input.stepKey,
        unitId: input.unitId,
        kind: input.kind,
        detail: input.detail,
        auditStepKey: input.auditStepKey ?? null,
        at: new Date(input.at),
      });
      deps.log.info(
        { appealId: input.appealId, unitId: input.unitId, kind: input.kind, created },
        'accountability recorded',
      );
    },
  };
}
