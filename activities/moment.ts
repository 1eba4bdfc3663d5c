/**
 * What one workflow task of a case changed, in one activity: its steps (or its current case
 * alone) written to the record and the audit trail, and its notifications said and routed,
 * side by side. A case from the `notices-with-steps` change on runs it as its one local activity
 * per task, where it ran a write and an announcement.
 */
import type { AppealCase } from '../domain/appeal.js';
import type { AnnouncedNotice, createNotificationActivities, Notification } from './notifications/index.js';
import type { createRecordActivities, StepInput } from './records/index.js';

export interface MomentInput {
  appealId: string;
  /** The steps taken, in their order (none: only the current case, or only notifications). */
  steps: StepInput[];
  /** The case as it now stands, when it changed without a step (with steps, the last one's patch carries it). */
  currentCase?: AppealCase;
  notices: Notification[];
}

/** The record and notification activities this one is made of. */
type Parts = Pick<ReturnType<typeof createRecordActivities>, 'recordStep' | 'recordSteps' | 'recordCurrentCase'> &
  Pick<ReturnType<typeof createNotificationActivities>, 'announceNotices'>;

export function createMomentActivities(parts: Parts) {
  async function write(moment: MomentInput): Promise<{ seq: number }[]> {
    const { steps } = moment;
    if (steps.length === 1) return [await parts.recordStep(steps[0]!)];
    if (steps.length > 1) return parts.recordSteps(steps);
    if (moment.currentCase)
      await parts.recordCurrentCase({ appealId: moment.appealId, currentCase: moment.currentCase });
    return [];
  }

  return {
    /**
     * The write and the announcement side by side. Idempotent as its parts are: a retry writes
     * no step twice (each is keyed) and says the notifications again, as `announceNotices` does.
     * The answer names no endpoint, secret or phone: it goes into the history.
     */
    async recordMoment(moment: MomentInput): Promise<{ steps: { seq: number }[]; notices: AnnouncedNotice[] }> {
      const [steps, { notices }] = await Promise.all([
        write(moment),
        moment.notices.length > 0 ? parts.announceNotices(moment.notices) : { notices: [] },
      ]);
      return { steps, notices };
    },
  };
}
