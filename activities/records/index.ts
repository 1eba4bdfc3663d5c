import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import {
  recordStep as writeStep,
  recordSteps as writeSteps,
  recordCurrentCase as writeCurrentCase,
  type StepRecord,
} from '../../db/queries/cases.js';
import type { AppealCase, WorkOrder } from '../../domain/appeal.js';
import { recordWorkOrder } from '../../db/queries/intake.js';

/** A step of an appeal as the workflow reports it; instants travel as ISO strings. */
export interface StepInput {
  appealId: string;
  stepKey: string;
  type: string;
  actor: string;
  reason?: string;
  payload?: Record<string, unknown>;
  at: string;
  patch?: {
    stage?: string;
    leadUnitId?: string | null;
    districtId?: string;
    coHandlerIds?: string[];
    involvedUnitIds?: string[];
    nextActor?: string;
    /** Everyone who owes something now (`center`, `unit:<id>`, `coordinator:<id>`). */
    pendingActors?: string[];
    waitingSince?: string;
    deadlines?: Record<string, string>;
    dueAt?: string | null;
    overdue?: boolean;
    escalationLevel?: number;
    policyCode?: string;
    policyVersion?: number;
    disposition?: string;
    result?: Record<string, unknown>;
    callback?: Record<string, unknown>;
    originalAppealId?: string;
    closedAt?: string;
    finalCase?: AppealCase;
    /** The case as the workflow holds it after this step (null once closed: the final case says it). */
    currentCase?: AppealCase | null;
  };
}

/** A step as the case record's query takes it: instants as dates. */
function stepRecord(step: StepInput): StepRecord {
  const { patch } = step;
  return {
    ...step,
    at: new Date(step.at),
    patch: patch && {
      ...patch,
      dueAt: patch.dueAt === undefined ? undefined : patch.dueAt === null ? null : new Date(patch.dueAt),
      closedAt: patch.closedAt ? new Date(patch.closedAt) : undefined,
      waitingSince: patch.waitingSince ? new Date(patch.waitingSince) : undefined,
    },
  };
}

export function createRecordActivities(deps: { db: Database; log: Logger }) {
  return {
    /**
     * Art. 11: the work order's case record, its work order number and its first audit event.
     * A retry answers the number the first attempt gave (null only for a case recorded before
     * numbers were given).
     */
    async recordIntake(order: WorkOrder): Promise<{ workOrderNo: string | null }> {
      const { created, workOrderNo } = await recordWorkOrder(deps.db, order);
      deps.log.info({ appealId: order.appealId, workOrderNo, created }, 'intake recorded');
      return { workOrderNo };
    },

    /** Any later step: audit event plus case-record change, idempotent on the step key. */
    async recordStep(step: StepInput): Promise<{ seq: number }> {
      const { seq, created } = await writeStep(deps.db, stepRecord(step));
      deps.log.info({ appealId: step.appealId, step: step.type, seq, created }, 'step recorded');
      return { seq };
    },

    /** Several steps of one appeal, in their order, in one transaction; each idempotent on its key. */
    async recordSteps(steps: StepInput[]): Promise<{ seq: number }[]> {
      const written = await writeSteps(deps.db, steps.map(stepRecord));
      written.forEach(({ seq, created }, i) =>
        deps.log.info({ appealId: steps[i]!.appealId, step: steps[i]!.type, seq, created }, 'step recorded'),
      );
      return written.map(({ seq }) => ({ seq }));
    },

    /** The case as the workflow holds it, after a change that is no step (a reminder's count, say). */
    async recordCurrentCase(input: { appealId: string; currentCase: AppealCase }): Promise<void> {
      await writeCurrentCase(deps.db, input.appealId, input.currentCase);
    },
  };
}
