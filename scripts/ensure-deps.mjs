// Runs before anything else in `npm run dev` / `npm test`, with plain Node (no dependencies
// yet): installs the npm packages when they are missing or older than package.json.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installedMarker = join(root, 'node_modules', '.package-lock.json');
const stale =
  !existsSync(installedMarker) ||
  statSync(join(root, 'package.json')).mtimeMs > statSync(installedMarker).mtimeMs ||
  (existsSync(join(root, 'package-lock.json')) &&
    statSync(join(root, 'package-lock.json')).mtimeMs > statSync(installedMarker).mtimeMs);
if (stale) {
  process.stderr.write('[jiesu] installing npm packages (npm install) …\n');
  // `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages out of the
  // lock file, which `npm ci` then rejects as out of sync.
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    process.stderr.write('[jiesu] npm install failed; see the output above.\n');
    process.exit(result.status ?? 1);
  }
  // npm leaves the marker alone when nothing changed; touch it so the next start is instant.
  const now = new Date();
  utimesSync(installedMarker, now, now);
}
