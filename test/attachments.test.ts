/**
 * Attachments (Art. 9(2)) by reference on the work order and on units' reports: each limit is
 * a 400 naming the field before anything starts or reaches the case; accepted references are
 * stored (work order: the case record; reports: the audit trail) and shown on the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { count } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, waterOutage, type ApiWorld } from './support/api.js';
import { TASK_QUEUE, type AttachmentRef } from '../workflows/appeal/definitions.js';
import { getAppealRecord, listAuditEvents } from '../db/queries/cases.js';
import { appeals } from '../db/schema/index.js';
import { attachmentRefusal, MAX_ATTACHMENTS } from '../domain/attachments.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-attachments`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const MB = 1024 * 1024;
const photo: AttachmentRef = {
  url: 'https://files.intake.example/2026/11/30/pipe.jpg',
  contentType: 'image/jpeg',
  size: 2 * MB,
  sha256: 'AB'.repeat(32),
  name: '漏水.jpg',
};
const recording: AttachmentRef = {
  url: 'http://files.intake.example/2026/11/30/call.amr',
  contentType: 'audio/amr',
  size: 120_000,
  sha256: 'c'.repeat(64),
};

interface CaseView {
  appealId: string;
  stage: string;
  workOrder?: { attachments: AttachmentRef[] };
  result?: { attachments?: AttachmentRef[] };
  coHandlers: { unitId: string; attachments?: AttachmentRef[] }[];
}

const appealCount = async () => (await database.db.select({ n: count() }).from(appeals))[0]!.n;

describe('the domain rule', () => {
  it('takes references within the limits and names the first refused field', () => {
    expect(attachmentRefusal([photo, recording])).toBeUndefined();
    expect(attachmentRefusal([photo, { ...photo, url: 'data:image/jpeg;base64,/9j/4AAQ' }])).toMatchObject({
      field: 'attachments/1/url',
    });
    expect(attachmentRefusal([{ ...photo, size: 21 * MB }])).toMatchObject({ field: 'attachments/0/size' });
    expect(attachmentRefusal([{ ...recording, size: 21 * MB }])).toBeUndefined();
    expect(attachmentRefusal(Array.from({ length: MAX_ATTACHMENTS + 1 }, () => photo))).toMatchObject({
      field: 'attachments',
    });
  });
});

describe('on the work order', () => {
  const start = (attachments: unknown) =>
    as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), attachments } });

  it('stores the references (hash in lower case) and shows them with the work order', async () => {
    const res = await start([photo, recording]);
    expect(res.statusCode, res.body).toBe(201);
    const stored = [{ ...photo, sha256: 'ab'.repeat(32) }, recording];
    const started = res.json<{ case: CaseView }>().case;
    expect(started.workOrder?.attachments).toEqual(stored);
    expect((await getAppealRecord(database.db, started.appealId))?.attachments).toEqual(stored);

    const read = await as(app, 'supervisor')({ method: 'GET', url: `/v1/appeals/${started.appealId}` });
    expect(read.json<CaseView>().workOrder?.attachments).toEqual(stored);
  });

  it.each([
    ['a data: URL', [{ ...photo, url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' }], 'body/attachments/0/url'],
    ['an ftp URL', [{ ...photo, url: 'ftp://files.intake.example/a.jpg' }], 'body/attachments/0/url'],
    [
      'a URL with a password',
      [recording, { ...photo, url: 'https://intake:secret@files.intake.example/a.jpg' }],
      'body/attachments/1/url',
    ],
    ['a content type off the list', [{ ...photo, contentType: 'application/pdf' }], 'body/attachments/0/contentType'],
    ['an empty file', [{ ...photo, size: 0 }], 'body/attachments/0/size'],
    ['an image over 20 MB', [{ ...photo, size: 20 * MB + 1 }], 'body/attachments/0/size'],
    ['an audio over 50 MB', [{ ...recording, size: 51 * MB }], 'body/attachments/0/size'],
    ['a video over 500 MB', [{ ...photo, contentType: 'video/mp4', size: 501 * MB }], 'body/attachments/0/size'],
    ['a hash that is not SHA-256', [{ ...photo, sha256: 'abc123' }], 'body/attachments/0/sha256'],
    ['the bytes themselves', [{ ...photo, data: '/9j/4AAQSkZJRg==' }], 'body/attachments/0/data'],
    ['too many', Array.from({ length: MAX_ATTACHMENTS + 1 }, () => photo), 'body/attachments'],
  ])('refuses %s with a 400 naming the field, starting nothing', async (_, attachments, field) => {
    const before = await appealCount();
    const res = await start(attachments);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ field });
    expect(res.json<{ message: string }>().message.startsWith(`${field}:`)).toBe(true);
    expect(await appealCount()).toBe(before);
  });
});

describe('on units’ reports', () => {
  it('keeps the references of the co-handler’s and the lead’s reports in the case and the audit trail', async () => {
    const started = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    expect(started.statusCode, started.body).toBe(201);
    const id = started.json<{ case: CaseView }>().case.appealId;
    const act = (caller: 'center' | 'water' | 'jianwai', path: string, payload: object) =>
      as(app, caller)({ method: 'POST', url: `/v1/appeals/${id}/${path}`, payload });

    expect((await act('center', 'triage', { disposition: 'dispatch' })).statusCode).toBe(200);
    expect((await act('water', 'accept', {})).statusCode).toBe(200);
    const added = await act('water', 'co-handlers', { unitId: 'chaoyang-jianwai', task: '核查小区管网' });
    expect(added.statusCode, added.body).toBe(200);

    const refused = await act('jianwai', 'co-handler-report', {
      report: '管网已核查',
      attachments: [{ ...recording, size: 60 * MB }],
    });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json()).toMatchObject({ field: 'body/attachments/0/size' });

    const reported = await act('jianwai', 'co-handler-report', { report: '管网已核查', attachments: [photo] });
    expect(reported.statusCode, reported.body).toBe(200);
    const lowered = { ...photo, sha256: 'ab'.repeat(32) };
    expect(reported.json<CaseView>().coHandlers).toEqual([
      expect.objectContaining({ unitId: 'chaoyang-jianwai', status: 'done', attachments: [lowered] }),
    ]);

    const video: AttachmentRef = {
      url: 'https://files.water.example/repair.mp4',
      contentType: 'video/mp4',
      size: 300 * MB,
      sha256: 'd'.repeat(64),
    };
    const result = await act('water', 'result', { outcome: 'resolved', summary: '已恢复供水', attachments: [video] });
    expect(result.statusCode, result.body).toBe(200);
    expect(result.json<CaseView>().result?.attachments).toEqual([video]);

    const events = await listAuditEvents(database.db, id);
    expect(events.find((e) => e.type === 'co_handler_report')?.payload).toMatchObject({ attachments: [lowered] });
    expect(events.find((e) => e.type === 'result_reported')?.payload).toMatchObject({ attachments: [video] });
    expect((await getAppealRecord(database.db, id))?.result).toMatchObject({ attachments: [video] });
  });
});
