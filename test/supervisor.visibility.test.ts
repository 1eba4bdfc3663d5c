/**
 * What supervisors see in the Temporal UI, on the dev server: the README's stuck-case filters are
 * queries the server accepts, and a dispatched case is found by them with its summary and details.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { ROOT } from '../scripts/lib/paths.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { coHandlingWorkflowId } from '../workflows/coHandler/definitions.js';

let database: TestDatabase;
let world: ApiWorld;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-visibility`);
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

/** The filters of the README's "Finding stuck cases" table, as written there. */
function readmeFilters(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('### Finding stuck cases'),
    readme.indexOf('## Testing deadline scenarios'),
  );
  return [...section.matchAll(/^\|[^|\n]+\|\s*`([^`]+)`\s*\|$/gm)].map((m) => m[1]!);
}

const listIds = async (query: string): Promise<string[]> => {
  const ids: string[] = [];
  for await (const execution of world.env.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
};

describe('supervisors in the Temporal UI', () => {
  it('every stuck-case filter in the README is a query the server accepts', async () => {
    const filters = readmeFilters();
    expect(filters.length).toBeGreaterThanOrEqual(8);
    for (const filter of filters) await expect(listIds(filter), filter).resolves.toBeInstanceOf(Array);
  });

  it('finds a dispatched case waiting on its unit, with a summary and current details', async () => {
    const start = await as(world.app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    const appealId = start.json<{ case: { appealId: string } }>().case.appealId;
    await as(
      world.app,
      'center',
    )({ method: 'POST', url: `/v1/appeals/${appealId}/triage`, payload: { disposition: 'dispatch' } });
    const workflowId = appealWorkflowId(appealId);

    const query = `NextActor="unit:beijing-water" AND AppealStage="awaiting_acceptance" AND ExecutionStatus="Running" AND AppealId="${appealId}"`;
    const found = await until(
      () => listIds(query),
      (ids) => ids.includes(workflowId),
    );
    expect(found).toEqual([workflowId]);
    expect(await listIds(`AppealId="${appealId}" AND Overdue=true`)).toEqual([]);

    const handle = world.env.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(await description.staticSummary()).toContain('utilities.water.outage');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('awaiting_acceptance');
    expect(metadata.currentDetails).toContain('unit:beijing-water');
    // Instants in Beijing time, as parties are told them, not UTC.
    expect(metadata.currentDetails).toMatch(/since \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/);
    expect(metadata.currentDetails).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);

    // A co-handler's own workflow says what it owes and by when, in Beijing time as well.
    const unit = as(world.app, 'water');
    expect((await unit({ method: 'POST', url: `/v1/appeals/${appealId}/accept`, payload: {} })).statusCode).toBe(200);
    const added = await unit({
      method: 'POST',
      url: `/v1/appeals/${appealId}/co-handlers`,
      payload: { unitId: 'beijing-drainage', task: '核查管网' },
    });
    expect(added.statusCode, added.body).toBe(200);
    const coHandler = world.env.client.workflow.getHandle(coHandlingWorkflowId(appealId, 'beijing-drainage'));
    const coDetails = await until(
      () =>
        coHandler.query<{ currentDetails?: string }>('__temporal_workflow_metadata').then(
          (m) => m.currentDetails ?? '',
          () => '',
        ),
      (details) => details.includes('owes its part'),
    );
    expect(coDetails).toMatch(
      /beijing-drainage\*\* owes its part to beijing-water by \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/,
    );
  });
});
