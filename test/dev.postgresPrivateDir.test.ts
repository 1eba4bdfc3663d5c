/**
 * PostgreSQL from a project below a directory only root may enter (a `mktemp -d` clone): as
 * root the server runs as the `postgres` user, which cannot reach binaries or data there.
 */
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresBinaries, startEmbeddedPostgres } from '../scripts/lib/postgres.js';
import { freePort } from '../scripts/lib/ports.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('embedded PostgreSQL below a mode-700 root directory (root only: the case needs root)', () => {
  it(
    'starts with binaries and data directory under that directory and answers a query',
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'jiesu-private-'));
      try {
        await chmod(dir, 0o700);
        // The project's binaries, copied below the private directory as a clone's node_modules would hold them.
        const nativeDir = join(dir, 'node_modules', 'native');
        await cp((await postgresBinaries()).nativeDir, nativeDir, { recursive: true, verbatimSymlinks: true });
        const hasUser = spawnSync('id', ['-u', 'postgres']).status === 0;
        if (hasUser) {
          // The situation itself: the postgres user cannot run what is in there.
          const probe = spawnSync('su', ['-s', '/bin/sh', 'postgres', '-c', `test -x '${nativeDir}/bin/postgres'`]);
          expect(probe.status).not.toBe(0);
        }

        const lines: string[] = [];
        const server = await startEmbeddedPostgres({
          dataDir: join(dir, '.jiesu', 'pg', 'private'),
          port: await freePort(),
          nativeDir,
          ephemeral: true,
          onLog: (line) => lines.push(line),
        });
        try {
          expect(server.dataDir).toMatch(/^\/var\/tmp\/jiesu-[0-9a-f]{16}\/private$/);
          expect(lines.some((l) => l.includes('cannot reach'))).toBe(true);
          const client = new pg.Client({ connectionString: server.serverUrl });
          await client.connect();
          try {
            const { rows } = await client.query<{ answer: number; version: string }>(
              'select 40 + 2 as answer, version() as version',
            );
            expect(rows[0]!.answer).toBe(42);
            expect(rows[0]!.version).toMatch(/^PostgreSQL 17\./);
          } finally {
            await client.end();
          }
        } finally {
          await server.stop();
        }
        // ephemeral: the stand-in data directory is gone with the server.
        expect(spawnSync('test', ['-e', server.dataDir]).status).not.toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
