/**
 * The Temporal namespace the service runs in, made ready on a real cluster: registered if it
 * is missing, then given the project's search attributes. The compose stack's set-up job
 * (scripts/setup-cluster.ts) and `npm run cluster` both call `prepareNamespace`; the dev server
 * and the time-skipping server create their namespace themselves.
 */
import type { Connection } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { registerSearchAttributes } from './searchAttributes.js';

/** How long a closed case's history stays in Temporal (the case record stays in PostgreSQL). */
export const NAMESPACE_RETENTION_DAYS = 30;

/** Registers `namespace` unless it exists; true when this call created it. */
export async function registerNamespace(
  connection: Connection,
  namespace: string,
  retentionDays = NAMESPACE_RETENTION_DAYS,
): Promise<boolean> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'Jiesu: one workflow per 12345 appeal',
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === status.ALREADY_EXISTS) return false;
    throw error;
  }
}

export interface PreparedNamespace {
  created: boolean;
  searchAttributesAdded: string[];
}

/** The namespace and its search attributes; safe to run at every start. */
export async function prepareNamespace(connection: Connection, namespace: string): Promise<PreparedNamespace> {
  const created = await registerNamespace(connection, namespace);
  const searchAttributesAdded = await registerSearchAttributes(connection, namespace);
  return { created, searchAttributesAdded };
}

/** One log line for what `prepareNamespace` did. */
export function describePrepared(namespace: string, prepared: PreparedNamespace): string {
  const added = prepared.searchAttributesAdded;
  return [
    prepared.created ? `namespace ${namespace} registered` : `namespace ${namespace} already registered`,
    added.length ? `search attributes registered: ${added.join(', ')}` : 'search attributes already registered',
  ].join('; ');
}
