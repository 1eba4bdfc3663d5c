/**
 * Policies whose windows last seconds, for real-time deadline scenarios (the tests' and the
 * benchmark's timer storm): a copy of a seeded policy inserted under its own code, and a
 * category routed to it.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { getPolicy } from '../../db/queries/reference.js';
import { deadlinePolicies, dispatchCatalogue } from '../../db/schema/reference.js';
import type { PolicyWindows } from '../../db/seed/data/types.js';

/** An amount of natural hours that lasts `seconds`. */
export const secondsAsHours = (seconds: number): number => seconds / 3600;

export interface FastPolicy {
  /** The new policy's code (version 1, every appeal type, in force since 2021). */
  code: string;
  /** The seeded policy it copies (version 1). */
  copyOf?: string;
  /** Windows in seconds of natural time; the others stay as in the copied policy. */
  seconds: Partial<Record<keyof PolicyWindows, number>>;
  reminderLimits?: number[];
  escalationLevels?: number;
  coHandlerMarginHours?: number;
  description?: string;
}

/** Inserts a copy of a seeded policy with windows of a few seconds. */
export async function addFastPolicy(database: { db: Database }, policy: FastPolicy): Promise<void> {
  const source = await getPolicy(database.db, policy.copyOf ?? 'emergency', 1);
  if (!source) throw new Error(`no seeded policy ${policy.copyOf ?? 'emergency'}@1 to copy`);
  const windows: PolicyWindows = { ...source.windows };
  for (const [name, seconds] of Object.entries(policy.seconds) as [keyof PolicyWindows, number][])
    windows[name] = { amount: secondsAsHours(seconds), unit: 'natural_hours' };
  await database.db.insert(deadlinePolicies).values({
    ...source,
    code: policy.code,
    version: 1,
    validFrom: '2021-01-01',
    validTo: null,
    appealTypes: null,
    description: policy.description ?? `test policy: ${policy.copyOf ?? 'emergency'} with windows of seconds`,
    windows,
    ...(policy.reminderLimits ? { reminderLimits: policy.reminderLimits } : {}),
    ...(policy.escalationLevels !== undefined ? { escalationLevels: policy.escalationLevels } : {}),
    ...(policy.coHandlerMarginHours !== undefined ? { coHandlerMarginHours: policy.coHandlerMarginHours } : {}),
  });
}

/** Every catalogue entry of the category (whatever its scope) now names `policyCode`. */
export async function routeCategoryTo(
  database: { db: Database },
  categoryCode: string,
  policyCode: string,
): Promise<void> {
  const updated = await database.db
    .update(dispatchCatalogue)
    .set({ policyCode })
    .where(eq(dispatchCatalogue.categoryCode, categoryCode))
    .returning({ id: dispatchCatalogue.id });
  if (updated.length === 0) throw new Error(`no catalogue entry for ${categoryCode}`);
}
