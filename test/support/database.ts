import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '../../db/client.js';
import { dropDatabase, ensureDatabase } from '../../scripts/lib/postgres.js';

export interface TestDatabase extends DbHandle {
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own for one test file: a clone of the template that the
 * global set-up migrated, so files never see each other's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('pgServerUrl');
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const url = await ensureDatabase(serverUrl, name, inject('templateDatabase'));
  const handle = createDb(url);
  return {
    ...handle,
    url,
    drop: async () => {
      await handle.close();
      await dropDatabase(serverUrl, name);
    },
  };
}

/** A minimal work order for the case record (a noise complaint by phone, in triage), received at `receivedAt`. */
export const noiseComplaintRecord = (id: string, receivedAt: Date) => ({
  id,
  workflowId: `appeal-${id}`,
  channel: 'phone',
  appealType: 'complaint',
  categoryCode: 'environment.noise',
  content: '噪音',
  stage: 'triage',
  receivedAt,
});
