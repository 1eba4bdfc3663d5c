/**
 * Art. 11-13 at once, for a case that keeps its current case in the record: the work order is
 * recorded (its number given), the center's triage hints are looked up beside it, and the case
 * as it then stands is written to the record, all in one activity.
 */
import { caseAtIntake, type AppealCase, type TriageHints, type WorkOrder } from '../domain/appeal.js';
import type { TriageHintsInput } from './dispatch/index.js';

export interface IntakeWithHintsInput {
  order: WorkOrder;
  hints: TriageHintsInput;
  /** The case as the workflow holds it before the intake is recorded. */
  currentCase: AppealCase;
}

export interface IntakeWithHints {
  /** The work order number (工单编号); a retry answers the one the first attempt gave. */
  workOrderNo: string | null;
  triageHints: TriageHints;
}

interface Parts {
  recordIntake(order: WorkOrder): Promise<{ workOrderNo: string | null }>;
  findTriageHints(input: TriageHintsInput): Promise<TriageHints>;
  recordCurrentCase(input: { appealId: string; currentCase: AppealCase }): Promise<void>;
}

export function createIntakeActivities(parts: Parts) {
  return {
    /**
     * The intake and the lookups side by side (the lookups leave the appeal itself out), then
     * the case with both (`caseAtIntake`, as the workflow takes the answer). Idempotent as its
     * parts are: a retry records nothing twice and writes the case again.
     */
    async recordIntakeWithHints(input: IntakeWithHintsInput): Promise<IntakeWithHints> {
      const [{ workOrderNo }, triageHints] = await Promise.all([
        parts.recordIntake(input.order),
        parts.findTriageHints(input.hints),
      ]);
      const recorded = { workOrderNo, triageHints };
      await parts.recordCurrentCase({
        appealId: input.order.appealId,
        currentCase: caseAtIntake(input.currentCase, recorded),
      });
      return recorded;
    },
  };
}
