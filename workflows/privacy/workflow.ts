/**
 * Anonymises the personal data of appeals closed longer ago than the retention period (Art. 26).
 * The Schedule `personal-data-anonymisation` starts it every day with the configured
 * `retentionDays`; it fixes the cut-off once (its start time minus the period), then calls the
 * batch activity until a batch comes back short. The counts each batch returns are its progress
 * (query `anonymisationProgress`); after many batches the run continues as new with the same
 * cut-off and its totals, so its history stays small.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import {
  anonymisationProgressQuery,
  DEFAULT_ANONYMISATION_BATCH,
  type AnonymisationInput,
  type AnonymisationOutcome,
  type AnonymisationTotals,
} from './definitions.js';

const { anonymiseClosedAppeals } = wf.proxyActivities<Pick<Activities, 'anonymiseClosedAppeals'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InvalidAnonymisation'] },
});

/** Batches per run before it continues as new (each batch is a handful of history events). */
const BATCHES_PER_RUN = 100;
const DAY_MS = 24 * 3600 * 1000;

export async function anonymisationWorkflow(input: AnonymisationInput): Promise<AnonymisationOutcome> {
  const { retentionDays } = input;
  const batchSize = input.batchSize ?? DEFAULT_ANONYMISATION_BATCH;
  const batchesPerRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw wf.ApplicationFailure.nonRetryable(
      `retentionDays must be a positive integer, got ${retentionDays}`,
      'InvalidAnonymisation',
    );
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw wf.ApplicationFailure.nonRetryable(
      `batchSize must be a positive integer, got ${batchSize}`,
      'InvalidAnonymisation',
    );
  // The workflow's clock: the run's start, the same on replay.
  const closedBefore = input.closedBefore ?? new Date(Date.now() - retentionDays * DAY_MS).toISOString();
  const done: AnonymisationTotals = { ...(input.done ?? { appeals: 0, auditEvents: 0, deliveries: 0, batches: 0 }) };
  wf.setHandler(anonymisationProgressQuery, () => ({ closedBefore, ...done }));

  for (let batches = 0; ; batches++) {
    if (batches >= batchesPerRun || wf.workflowInfo().continueAsNewSuggested)
      return wf.continueAsNew<typeof anonymisationWorkflow>({ ...input, closedBefore, done });
    const batch = await anonymiseClosedAppeals({ closedBefore, batchSize });
    done.appeals += batch.appeals;
    done.auditEvents += batch.auditEvents;
    done.deliveries += batch.deliveries;
    done.batches += 1;
    wf.log.info('anonymisation batch done', { closedBefore, ...batch, totalAppeals: done.appeals });
    if (batch.appeals < batchSize) return { closedBefore, ...done };
  }
}
