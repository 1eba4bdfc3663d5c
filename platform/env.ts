import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export { Type };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads configuration from environment variables once, at start-up: applies defaults,
 * converts numbers and booleans, and stops with a message naming every bad variable.
 */
export function loadEnv<T extends TObject>(schema: T, env: NodeJS.ProcessEnv): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties))
    if (env[key] !== undefined && env[key] !== '') picked[key] = env[key];
  const value = Value.Convert(schema, Value.Default(schema, picked));
  const errors = [...Value.Errors(schema, value)];
  if (errors.length > 0) {
    const lines = errors.map(
      (e) =>
        `  ${e.path.replace(/^\//, '') || '(root)'}: ${e.message}${e.path ? ` (got ${JSON.stringify((value as Record<string, unknown>)[e.path.slice(1)])})` : ''}`,
    );
    throw new ConfigError(`invalid configuration:\n${[...new Set(lines)].join('\n')}`);
  }
  return value as Static<T>;
}

/** For process entry points: a configuration error ends the process with its message, no stack. */
export function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    return exitOnConfigError(error);
  }
}
