/** Progress lines of the benchmark, on stderr so that stdout carries only the results. */
export function say(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
