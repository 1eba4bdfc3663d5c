/**
 * The floor of each kind of operation: a workflow that does nothing, whose Update and query
 * handlers do nothing. Timed on the same server and concurrency as Jiesu's own operations, it
 * shows what the server itself costs, so each Jiesu operation reads as a ratio to that.
 * Run by the benchmark's own worker on its own task queue, never by production workers.
 *
 * Beside it, the recorded Update: an Update whose handler runs one local activity that does
 * nothing before it answers. It is the least a durable action costs with this SDK (the
 * Update's activation, the local activity, a second activation for its result, a marker in
 * the history), the shape every Jiesu action has, so an action also reads as a ratio to that.
 */
import {
  condition,
  defineQuery,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { AppealStage, DueAt } from '../../../workflows/searchAttributes.js';
import type { FloorActivities } from './activities.js';

export const FLOOR_TASK_QUEUE = 'bench-floor';
export const floorUpdate = defineUpdate<null>('floorUpdate');
export const floorRecordedUpdate = defineUpdate<null>('floorRecordedUpdate');
export const floorQuery = defineQuery<null>('floorQuery');

const { floorRecord } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '10s' });

export async function floorWorkflow(): Promise<void> {
  setHandler(floorUpdate, () => null);
  setHandler(floorRecordedUpdate, async () => {
    await floorRecord();
    return null;
  });
  setHandler(floorQuery, () => null);
  // Open until the benchmark's in-memory server goes away.
  await condition(() => false);
}

export const floorShapedUpdate = defineUpdate<string>('floorShapedUpdate');
/** About the size of a case's answer (a few KB of JSON), so the Update's result weighs as an action's does. */
const SHAPED_ANSWER = 'x'.repeat(1500);

/**
 * A workflow whose Update has an action's shape without its work: the stage's search
 * attributes changed, its deadline's timer replaced by the next one, one local activity
 * before the answer, an answer of a case's size. What the Temporal server and the SDK spend
 * on that is what any design of these features would spend; what an action costs above it is
 * Jiesu's own (the API, the rules, the records).
 */
export async function floorShapedWorkflow(): Promise<void> {
  let asked = 0;
  let done = 0;
  setHandler(floorShapedUpdate, async () => {
    const mine = ++asked;
    await condition(() => done >= mine);
    await floorRecord();
    return SHAPED_ANSWER;
  });
  for (;;) {
    const seen = done;
    // The deadline's timer: cancelled by the Update, and the next one started.
    await condition(() => asked > seen, '1 hour');
    done = asked;
    upsertSearchAttributes([
      { key: AppealStage, value: `floor-${done}` },
      { key: DueAt, value: new Date(Date.now() + 3_600_000) },
    ]);
  }
}
