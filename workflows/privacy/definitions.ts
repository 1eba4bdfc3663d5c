/**
 * The anonymisation of closed appeals after the retention period (Art. 26): names the scripts and
 * the tests share with the workflow, without pulling in workflow code.
 */
import { defineQuery } from '@temporalio/workflow';

/** The Schedule that runs `anonymisationWorkflow` every day (scripts/lib/schedules.ts). */
export const ANONYMISATION_SCHEDULE_ID = 'personal-data-anonymisation';

/** Days a closed appeal keeps its personal data when `PERSONAL_DATA_RETENTION_DAYS` is not set. */
export const DEFAULT_RETENTION_DAYS = 180;

/** Appeals per activity call, each call one transaction. */
export const DEFAULT_ANONYMISATION_BATCH = 200;

export interface AnonymisationInput {
  /** Appeals closed more than this many days before the run lose their personal data. */
  retentionDays: number;
  batchSize?: number;
  /** Batches before the run continues as new (default 100). */
  batchesPerRun?: number;
  /** Set by the run itself when it continues as new: the cut-off of the first run, and what was done. */
  closedBefore?: string;
  done?: AnonymisationTotals;
}

export interface AnonymisationTotals {
  appeals: number;
  auditEvents: number;
  deliveries: number;
  batches: number;
}

export interface AnonymisationOutcome extends AnonymisationTotals {
  /** ISO instant: appeals closed before it are anonymised. */
  closedBefore: string;
}

/** What the run has done so far (for `temporal workflow query`). */
export const anonymisationProgressQuery = defineQuery<AnonymisationOutcome>('anonymisationProgress');
