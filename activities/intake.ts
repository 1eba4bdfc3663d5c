/**
 * Art. 11-13 at once, for a case that keeps its current case in the record: the work order is
 * recorded (its number given), the center's triage hints are looked up beside it, and the case
 * as it then stands is written to the record (and, for a case that says its notifications with
 * its writes, the requester told the number), all in one activity.
 */
import { intakeFields, type AppealCase, type IntakeRecorded, type WorkOrder } from '../domain/appeal.js';
import { requesterMessages } from '../domain/requesterMessages.js';
import type { createDispatchActivities, TriageHintsInput } from './dispatch/index.js';
import type { AnnouncedNotice, createNotificationActivities } from './notifications/index.js';
import type { createRecordActivities } from './records/index.js';

export interface IntakeWithHintsInput {
  order: WorkOrder;
  hints: TriageHintsInput;
  /** The case as the workflow holds it before the intake is recorded. */
  currentCase: AppealCase;
  /** Tell the requester the work order number, under this notification key (a case from `notices-with-steps` on). */
  received?: { notificationKey: string };
}

/** The intake as recorded, and the requester told its number when asked to. */
export interface IntakeWithHints extends IntakeRecorded {
  received?: AnnouncedNotice;
}

/** The record, dispatch and notification activities this one is made of. */
type Parts = Pick<ReturnType<typeof createRecordActivities>, 'recordIntake' | 'recordCurrentCase'> &
  Pick<ReturnType<typeof createDispatchActivities>, 'findTriageHints'> &
  Pick<ReturnType<typeof createNotificationActivities>, 'announceNotices'>;

export function createIntakeActivities(parts: Parts) {
  return {
    /**
     * The intake and the lookups side by side (the lookups leave the appeal itself out), then
     * the case with both (`intakeFields`, as the workflow takes the answer). Idempotent as its
     * parts are: a retry records nothing twice and writes the case again.
     */
    async recordIntakeWithHints(input: IntakeWithHintsInput): Promise<IntakeWithHints> {
      const { appealId } = input.order;
      const [{ workOrderNo }, triageHints] = await Promise.all([
        parts.recordIntake(input.order),
        parts.findTriageHints(input.hints),
      ]);
      const recorded = { workOrderNo, triageHints };
      const tell = input.received && workOrderNo ? { ...input.received, workOrderNo } : undefined;
      const [, announced] = await Promise.all([
        parts.recordCurrentCase({ appealId, currentCase: { ...input.currentCase, ...intakeFields(recorded) } }),
        tell &&
          parts.announceNotices([
            {
              appealId,
              notificationKey: tell.notificationKey,
              to: 'requester',
              kind: 'received',
              message: requesterMessages.received(tell.workOrderNo),
            },
          ]),
      ]);
      return { ...recorded, ...(announced?.notices[0] ? { received: announced.notices[0] } : {}) };
    },
  };
}
