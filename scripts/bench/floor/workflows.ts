/**
 * The floor of each kind of operation: a workflow that does nothing, whose Update and query
 * handlers do nothing. Timed on the same server and concurrency as Jiesu's own operations, it
 * shows what the server itself costs, so each Jiesu operation reads as a ratio to that.
 * Run by the benchmark's own worker on its own task queue, never by production workers.
 */
import { condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';

export const FLOOR_TASK_QUEUE = 'bench-floor';
export const floorUpdate = defineUpdate<null>('floorUpdate');
export const floorQuery = defineQuery<null>('floorQuery');

export async function floorWorkflow(): Promise<void> {
  setHandler(floorUpdate, () => null);
  setHandler(floorQuery, () => null);
  // Open until the benchmark's in-memory server goes away.
  await condition(() => false);
}
