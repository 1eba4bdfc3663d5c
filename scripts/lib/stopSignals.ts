/**
 * How the long-running scripts (`npm run dev`, `npm run cluster`) stop: Ctrl-C, a kill and a
 * closed terminal stop them cleanly (exit 0); an error nothing caught is said, naming the script,
 * and still stops what was started (exit 1) rather than leaving it running.
 */
export function stopOnSignals(
  who: string,
  shutdown: (code: number) => Promise<never>,
  say: (line: string) => void,
): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (error: unknown) => {
      say(`${who}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      void shutdown(1);
    });
  }
}
