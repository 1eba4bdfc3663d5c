/**
 * A headless Chromium for the supervisor page's browser test: Debian's `chromium`, driven by
 * playwright-core (which downloads no browser of its own), and a CJK font so the page's
 * Chinese renders in its screenshot. `CHROMIUM_PATH` points at another binary.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { aptInstall, canAptInstall } from './apt.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];
/** Small (5 MB installed) and enough for simplified Chinese. */
const CJK_FONT_PACKAGE = 'fonts-wqy-microhei';

const find = (): string | undefined => {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
};

/** Whether fontconfig knows a font for Chinese (no fontconfig: none). */
const hasCjkFont = async (): Promise<boolean> => {
  try {
    const { stdout } = await promisify(execFile)('fc-list', [':lang=zh', 'family'], { timeout: 30_000 });
    return stdout.trim().length > 0;
  } catch {
    return false;
  }
};

/** Where Chromium is, without installing anything. */
export const chromiumPath = (): string | undefined => find();

/**
 * Chromium's path, installing Debian's package (and a CJK font) when missing and this process
 * may (root, with apt-get). Throws with what to do otherwise.
 */
export async function ensureChromium(log: (msg: string) => void): Promise<string> {
  const found = find();
  if (process.env.CHROMIUM_PATH && !found)
    throw new Error(`CHROMIUM_PATH is set to ${process.env.CHROMIUM_PATH}, which does not exist`);
  const missing = [...(found ? [] : ['chromium']), ...((await hasCjkFont()) ? [] : [CJK_FONT_PACKAGE])];
  if (missing.length > 0) {
    if (await canAptInstall()) await aptInstall(missing, log);
    else if (!found)
      throw new Error(
        'Chromium not found: apt-get install chromium (as root), or set CHROMIUM_PATH to a Chromium or Chrome binary',
      );
    else log(`no CJK font found: Chinese text shows as boxes in screenshots (apt-get install ${CJK_FONT_PACKAGE})`);
  }
  const path = find();
  if (!path) throw new Error('chromium was installed but is not at /usr/bin/chromium: set CHROMIUM_PATH');
  return path;
}
