import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, noiseComplaintRecord, type TestDatabase } from './support/database.js';
import { createAppealRecord, listAuditEvents, recordStep } from '../db/queries/cases.js';
import { applyMigrations } from '../db/migrate.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const appeal = (id: string) => noiseComplaintRecord(id, new Date('2026-01-05T02:00:00Z'));

describe('embedded PostgreSQL', () => {
  it('is a real PostgreSQL server with the migrations applied, and re-applying them is a no-op', async () => {
    const version = await database.db.execute<{ server_version: string }>(sql`show server_version`);
    expect(version.rows[0]!.server_version).toMatch(/^\d+\.\d+/);
    await applyMigrations(database.db);
    const tables = await database.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['appeals', 'audit_events', 'assessments', 'accountability_records']),
    );
  });

  it('writes a step once even when the activity is retried', async () => {
    await createAppealRecord(database.db, appeal('a-retry'), 'intake');
    await createAppealRecord(database.db, appeal('a-retry'), 'intake');
    const step = {
      appealId: 'a-retry',
      stepKey: 'dispatch-1',
      type: 'dispatched',
      actor: 'center',
      at: new Date(),
      patch: { stage: 'awaiting_acceptance' },
    };
    const first = await recordStep(database.db, step);
    const second = await recordStep(database.db, step);
    expect(first).toEqual({ seq: 2, created: true });
    expect(second).toEqual({ seq: 2, created: false });
    expect((await listAuditEvents(database.db, 'a-retry')).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('keeps the sequence gap-free under concurrent steps of one appeal', async () => {
    await createAppealRecord(database.db, appeal('a-concurrent'), 'intake');
    const steps = Array.from({ length: 20 }, (_, i) => ({
      appealId: 'a-concurrent',
      stepKey: `step-${i % 10}`, // every step twice, at the same time
      type: 'note',
      actor: 'center',
      at: new Date(),
    }));
    await Promise.all(steps.map((s) => recordStep(database.db, s)));
    const events = await listAuditEvents(database.db, 'a-concurrent');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.stepKey)).size).toBe(11);
  });
});
