import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { writeAccountabilityRecord, writeAssessments } from '../../db/queries/assessment.js';
import type { AccountabilityKind } from '../../domain/appeal.js';
import type { NewAssessment } from '../../db/schema/cases.js';

/**
 * One unit's assessment as the process sends it. The requester's answers (`callbackValid`,
 * `contacted`, `resolved`, `satisfaction`) and the unit's own facts (`claimedContacted`,
 * `claimedResolved`, `reported`) are optional: cases of the earlier process still running send
 * only `responded`, `resolved` (the requester's answer if reached, else the unit's report) and
 * `satisfaction`, and their rows are read from that (`fromEarlierShape`).
 */
export interface UnitAssessmentInput {
  unitId: string;
  role: string;
  responded: boolean;
  resolved: boolean | null;
  satisfaction: string | null;
  exempt: boolean;
  exemptReason: string | null;
  callbackValid?: boolean;
  contacted?: boolean | null;
  claimedContacted?: boolean;
  claimedResolved?: boolean;
  reported?: boolean | null;
}

type AssessmentFacts = Omit<NewAssessment, 'appealId' | 'closedAt'>;

/**
 * A row from the earlier shape: a satisfaction is only ever given on a reached callback, so with
 * one the callback was valid and `resolved` is the requester's answer (contact is known only when
 * the unit did not respond at all); without one, `resolved` was the unit's own report.
 */
function fromEarlierShape(u: UnitAssessmentInput): AssessmentFacts {
  const valid = u.satisfaction !== null;
  return {
    unitId: u.unitId,
    role: u.role,
    responded: u.responded,
    callbackValid: valid,
    contacted: valid && !u.responded ? false : null,
    resolved: valid ? u.resolved : null,
    satisfaction: u.satisfaction,
    claimedContacted: false,
    claimedResolved: !valid && u.resolved === true,
    reported: null,
    exempt: u.exempt,
    exemptReason: u.exemptReason,
  };
}

function facts(u: UnitAssessmentInput): AssessmentFacts {
  if (u.callbackValid === undefined) return fromEarlierShape(u);
  return {
    unitId: u.unitId,
    role: u.role,
    responded: u.responded,
    callbackValid: u.callbackValid,
    contacted: u.callbackValid ? (u.contacted ?? null) : null,
    resolved: u.callbackValid ? u.resolved : null,
    satisfaction: u.callbackValid ? u.satisfaction : null,
    claimedContacted: u.claimedContacted ?? false,
    claimedResolved: u.claimedResolved ?? false,
    reported: u.reported ?? null,
    exempt: u.exempt,
    exemptReason: u.exemptReason,
  };
}

export function createAssessmentActivities(deps: { db: Database; log: Logger }) {
  return {
    /** Art. 25: at close, one assessment per unit to be assessed. Idempotent. */
    async recordAssessment(input: { appealId: string; closedAt: string; units: UnitAssessmentInput[] }): Promise<void> {
      const closedAt = new Date(input.closedAt);
      const written = await writeAssessments(
        deps.db,
        input.units.map((u) => ({ ...facts(u), appealId: input.appealId, closedAt })),
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
