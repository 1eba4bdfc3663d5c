/** Progress lines for the set-up scripts: short, prefixed, on stderr so stdout stays clean. */
export function step(message: string): void {
  process.stderr.write(`[jiesu] ${message}\n`);
}
