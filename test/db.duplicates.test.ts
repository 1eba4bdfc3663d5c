import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createAppealRecord } from '../db/queries/cases.js';
import { findDuplicateCandidates } from '../db/queries/duplicates.js';
import type { NewAppeal } from '../db/schema/cases.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  for (const record of Object.values(appeals)) await createAppealRecord(database.db, record, 'intake');
});
afterAll(async () => database?.drop());

const DAY = 86_400_000;
const AT = new Date('2025-11-20T02:00:00Z');
const daysBefore = (days: number) => new Date(AT.getTime() - days * DAY);
const PHONE = '13800000001';

const appeal = (id: string, fields: Partial<NewAppeal>): Omit<NewAppeal, 'lastSeq'> => ({
  id,
  workflowId: `appeal-${id}`,
  channel: 'phone',
  appealType: 'complaint',
  categoryCode: 'urban.garbage',
  districtId: 'haidian',
  streetId: 'haidian-zizhuyuan',
  content: '小区垃圾好几天没人清运',
  requesterName: '张三',
  requesterPhone: PHONE,
  stage: 'handling',
  receivedAt: daysBefore(3),
  ...fields,
});

const appeals = {
  open: appeal('open', {
    receivedAt: daysBefore(3),
    leadUnitId: 'haidian-zizhuyuan',
    dueAt: daysBefore(-4),
  }),
  recentlyClosed: appeal('recently-closed', {
    receivedAt: daysBefore(6),
    stage: 'closed',
    closedAt: daysBefore(1),
  }),
  closedLongAgo: appeal('closed-long-ago', {
    receivedAt: daysBefore(20),
    stage: 'closed',
    closedAt: daysBefore(15),
  }),
  receivedBeforeWindow: appeal('received-before-window', { receivedAt: daysBefore(10) }),
  otherPhone: appeal('other-phone', { requesterPhone: '13900000002' }),
  noPhone: appeal('no-phone', { requesterPhone: null }),
  otherCategory: appeal('other-category', { categoryCode: 'urban.dog' }),
  otherStreet: appeal('other-street', { streetId: 'haidian-ganjiakou', receivedAt: daysBefore(2) }),
  merged: appeal('merged', {
    receivedAt: daysBefore(2),
    stage: 'closed',
    closedAt: daysBefore(2),
    originalAppealId: 'open',
  }),
  later: appeal('later', { receivedAt: new Date(AT.getTime() + 3_600_000) }),
  theNewOne: appeal('the-new-one', { stage: 'triage', receivedAt: AT }),
};

const query = {
  requesterPhone: PHONE,
  categoryCode: 'urban.garbage',
  at: AT,
  windowDays: 7,
  excludeAppealId: 'the-new-one',
};
const ids = async (q: Parameters<typeof findDuplicateCandidates>[1]) =>
  (await findDuplicateCandidates(database.db, q)).map((c) => c.id);

describe('duplicate detection for triage', () => {
  it('finds open and recently closed appeals of the same requester, category and street within the window, newest first', async () => {
    const candidates = await findDuplicateCandidates(database.db, {
      ...query,
      streetId: 'haidian-zizhuyuan',
    });
    expect(candidates).toEqual([
      {
        id: 'open',
        stage: 'handling',
        leadUnitId: 'haidian-zizhuyuan',
        dueAt: daysBefore(-4),
        disposition: null,
        receivedAt: daysBefore(3),
        closedAt: null,
      },
      expect.objectContaining({ id: 'recently-closed', stage: 'closed', closedAt: daysBefore(1) }),
    ]);
  });

  it('leaves out appeals outside the window: received before it, or closed before it', async () => {
    const found = await ids({ ...query, streetId: 'haidian-zizhuyuan', windowDays: 30 });
    expect(found).toEqual(['open', 'recently-closed', 'received-before-window', 'closed-long-ago']);
    expect(await ids({ ...query, streetId: 'haidian-zizhuyuan', windowDays: 4 })).toEqual(['open']);
    expect(await ids({ ...query, streetId: 'haidian-zizhuyuan', windowDays: 2 })).toEqual([]);
  });

  it('matches by district when the street is not known, and anywhere when neither is', async () => {
    expect(await ids({ ...query, districtId: 'haidian' })).toEqual(['other-street', 'open', 'recently-closed']);
    expect(await ids({ ...query, districtId: 'chaoyang' })).toEqual([]);
    expect(await ids(query)).toEqual(['other-street', 'open', 'recently-closed']);
  });

  it('finds the new appeal itself unless told to leave it out, and nothing without a phone', async () => {
    expect(await ids({ ...query, excludeAppealId: undefined, streetId: 'haidian-zizhuyuan' })).toEqual([
      'the-new-one',
      'open',
      'recently-closed',
    ]);
    expect(await ids({ ...query, requesterPhone: '' })).toEqual([]);
  });
});
