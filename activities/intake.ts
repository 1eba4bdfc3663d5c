/**
 * Art. 11-13 at once, for a case that keeps its current case in the record: the work order is
 * recorded (its number given), the center's triage hints are looked up beside it, and the case
 * as it then stands is written to the record, all in one activity.
 */
import { intakeFields, type AppealCase, type IntakeRecorded, type WorkOrder } from '../domain/appeal.js';
import type { createDispatchActivities, TriageHintsInput } from './dispatch/index.js';
import type { createRecordActivities } from './records/index.js';

export interface IntakeWithHintsInput {
  order: WorkOrder;
  hints: TriageHintsInput;
  /** The case as the workflow holds it before the intake is recorded. */
  currentCase: AppealCase;
}

/** The record and dispatch activities this one is made of. */
type Parts = Pick<ReturnType<typeof createRecordActivities>, 'recordIntake' | 'recordCurrentCase'> &
  Pick<ReturnType<typeof createDispatchActivities>, 'findTriageHints'>;

export function createIntakeActivities(parts: Parts) {
  return {
    /**
     * The intake and the lookups side by side (the lookups leave the appeal itself out), then
     * the case with both (`intakeFields`, as the workflow takes the answer). Idempotent as its
     * parts are: a retry records nothing twice and writes the case again.
     */
    async recordIntakeWithHints(input: IntakeWithHintsInput): Promise<IntakeRecorded> {
      const [{ workOrderNo }, triageHints] = await Promise.all([
        parts.recordIntake(input.order),
        parts.findTriageHints(input.hints),
      ]);
      const recorded = { workOrderNo, triageHints };
      await parts.recordCurrentCase({
        appealId: input.order.appealId,
        currentCase: { ...input.currentCase, ...intakeFields(recorded) },
      });
      return recorded;
    },
  };
}
