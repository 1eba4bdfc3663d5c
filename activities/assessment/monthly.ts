import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { freezeMonth, MonthError } from '../../db/queries/rates.js';
import type { FreezeOutcome } from '../../domain/months.js';

export function createMonthlyAssessmentActivities(deps: { db: Database; log: Logger }) {
  return {
    /**
     * Art. 25: freezes a month's rankings of every level (db/queries/rates.ts `freezeMonth`).
     * Idempotent: a month already frozen stays as published and the answer says by whom and when.
     * A month not over at `asOf` (the workflow's clock) is refused, non-retryable (`MonthNotOver`).
     */
    async freezeAssessmentMonth(input: {
      month: string;
      workflowId: string;
      runId: string;
      asOf: string;
    }): Promise<FreezeOutcome> {
      try {
        const outcome = await freezeMonth(deps.db, { ...input, asOf: new Date(input.asOf) });
        deps.log.info(
          { month: outcome.month, frozenNow: outcome.frozenNow, frozenAt: outcome.frozenAt, rows: outcome.rows },
          outcome.frozenNow ? 'assessment month frozen' : `assessment month already frozen at ${outcome.frozenAt}`,
        );
        return outcome;
      } catch (error) {
        if (error instanceof MonthError) throw ApplicationFailure.nonRetryable(error.message, 'MonthNotOver');
        throw error;
      }
    },
  };
}
