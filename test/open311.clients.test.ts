/**
 * Open311 as third-party code sees it: two GeoReport v2 clients from PyPI (`civicbot`, which
 * files and reads requests; `georeport`, which reads the catalogue in XML), installed by
 * `npm run tools`, run against the API listening on a real port over the dev server.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, TEST_KEYS, type ApiWorld } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { VENV_PYTHON } from '../scripts/lib/pythonLibraries.js';

const SCRIPT = fileURLToPath(new URL('./support/open311Clients.py', import.meta.url));

let database: TestDatabase;
let world: ApiWorld;
let api: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-open311-clients`);
  api = await world.buildApi();
  const address = await api.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `${address}/open311/v2`;
});
afterAll(async () => {
  await api?.close();
  await world?.close();
  await database?.drop();
});

describe('third-party GeoReport v2 clients', () => {
  it('list the services, file a request and read its status (civicbot, JSON), read the catalogue (georeport, XML)', async () => {
    expect(existsSync(VENV_PYTHON), `${VENV_PYTHON} is missing: run npm run tools`).toBe(true);
    const { stdout } = await promisify(execFile)(VENV_PYTHON, [SCRIPT, baseUrl, TEST_KEYS.intake.key], {
      timeout: 60_000,
    });
    const got = JSON.parse(stdout) as Record<string, unknown>;

    expect(got.service_count).toBe(50);
    expect(got.water_outage).toMatchObject({ service_name: '停水', group: '供水', metadata: false, type: 'realtime' });
    expect(got.definition).toEqual({ service_code: 'utilities.water.outage', attributes: [] });

    const [created] = got.created as { service_request_id: string; requester_token: string }[];
    expect(created!.service_request_id).toMatch(/^\d{8}-\d{6}$/);
    expect(got.without_token).toEqual({
      status: 404,
      errors: [{ code: 404, description: `service_request_id ${created!.service_request_id} not found` }],
    });
    expect(got.status).toMatchObject({
      service_request_id: created!.service_request_id,
      status: 'open',
      status_notes: '热线中心正在研判您的诉求',
      service_code: 'utilities.water.outage',
      agency_responsible: '北京市民热线服务中心（12345）',
    });
    expect((got.listed as { service_request_id: string }[]).map((r) => r.service_request_id)).toEqual([
      created!.service_request_id,
    ]);

    expect(got.xml_service_count).toBe(50);
    expect(got.xml_water_outage).toMatchObject({
      service_name: '停水',
      metadata: 'false',
      type: 'realtime',
      group: '供水',
    });
    expect(got.xml_definition).toEqual({ service_code: 'utilities.water.outage', attributes: null });

    // What the client filed is the appeal the center reads: one work order, through the same start.
    const read = await as(api, 'center')({ method: 'GET', url: `/v1/appeals/${created!.service_request_id}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({
      stage: 'triage',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
      workOrder: { channel: 'app', requester: { name: '张三', phone: '13900000000' } },
    });
  });
});
