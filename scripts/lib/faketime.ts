/**
 * libfaketime (Debian's `libfaketime`) lets the time-skipping test server start at a chosen
 * instant: deadline scenarios on dates in the calendar's data (National Day, Spring Festival)
 * run on the real server, whose clock starts there instead of at today's date.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aptInstall, canAptInstall } from './apt.js';

const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
];

const find = (): string | undefined => {
  const configured = process.env.FAKETIME_LIB;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
};

/** The library's path, installing the Debian package when it is missing and this process may. */
export async function ensureFaketime(log: (msg: string) => void): Promise<string | undefined> {
  const found = find();
  if (found || process.env.FAKETIME_LIB) return found;
  if (!(await canAptInstall())) {
    log(
      'libfaketime not found (scenarios on fixed dates will be skipped): apt-get install libfaketime, or set FAKETIME_LIB',
    );
    return undefined;
  }
  try {
    await aptInstall('libfaketime', log);
  } catch (error) {
    // Optional: without it, scenarios on fixed dates are skipped, everything else runs.
    log(`libfaketime could not be installed (scenarios on fixed dates will be skipped): ${(error as Error).message}`);
  }
  return find();
}

/** Where the library is, without installing anything. */
export const faketimeLib = (): string | undefined => find();

/**
 * A launcher for `executable` whose clock starts at `startsAt` and then runs at normal speed.
 * It ends in `exec`, so the process the SDK starts (and kills) is the server itself.
 */
export async function clockShiftedLauncher(
  executable: string,
  startsAt: Date,
  dir: string,
  lib: string,
): Promise<string> {
  const stamp = startsAt.toISOString().replace(/[-:.]/g, '');
  const path = join(dir, `test-server-at-${stamp}.sh`);
  // FAKETIME's "@" form takes a local time: the launcher runs the server in UTC.
  const at = startsAt.toISOString().slice(0, 19).replace('T', ' ');
  await mkdir(dir, { recursive: true });
  await writeFile(
    path,
    [
      '#!/bin/sh',
      `export LD_PRELOAD='${lib}'`,
      `export FAKETIME='@${at}'`,
      'export TZ=UTC',
      // Timeouts and sleeps inside the server keep real durations.
      'export DONT_FAKE_MONOTONIC=1',
      `exec '${executable}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return path;
}
