import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { anonymiseClosedAppealsBatch, type AnonymisedBatch } from '../../db/queries/anonymise.js';

export function createPrivacyActivities(deps: { db: Database; log: Logger }) {
  return {
    /**
     * Art. 26: one batch of the anonymisation of appeals closed before `closedBefore`
     * (db/queries/anonymise.ts), in one transaction. Idempotent: an appeal is anonymised once,
     * a batch retried after its commit finds other appeals or none. The counts are the progress.
     */
    async anonymiseClosedAppeals(input: { closedBefore: string; batchSize: number }): Promise<AnonymisedBatch> {
      const closedBefore = new Date(input.closedBefore);
      if (Number.isNaN(closedBefore.getTime()) || !Number.isInteger(input.batchSize) || input.batchSize < 1)
        throw ApplicationFailure.nonRetryable(
          `closedBefore must be an instant and batchSize a positive integer, got ${JSON.stringify(input)}`,
          'InvalidAnonymisation',
        );
      const batch = await anonymiseClosedAppealsBatch(deps.db, {
        closedBefore,
        batchSize: input.batchSize,
        at: new Date(),
      });
      deps.log.info({ closedBefore: input.closedBefore, ...batch }, 'closed appeals anonymised');
      return batch;
    },
  };
}
