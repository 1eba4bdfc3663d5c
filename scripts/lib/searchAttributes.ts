import type { Connection } from '@temporalio/client';
import { temporal } from './temporalProto.js';
import { status } from '@grpc/grpc-js';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes.js';

/** Spelling of each type as the Temporal CLI's `--search-attribute NAME=Type` expects it. */
const CLI_TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

/** The same list as `Record<name, CLI type name>`, for the test environment's `createLocal`. */
export function searchAttributeTypes(): Record<string, string> {
  return Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, CLI_TYPE_NAMES[key.type]!]));
}

/**
 * Registers the project's search attributes through the operator service (the compose stack's
 * set-up and the time-skipping test server, which take no start-up flags). Attributes already
 * registered are left alone, so it is safe to run at every start.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const known = new Set(await listCustomAttributes(connection, namespace));
  const missing = SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  const { IndexedValueType } = temporal.api.enums.v1;
  const indexedTypes: Record<string, number> = {
    KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  };
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedTypes[key.type]!])),
  });
  return missing.map((key) => key.name);
}

/** The time-skipping test server implements AddSearchAttributes but not List: treat it as empty. */
async function listCustomAttributes(connection: Connection, namespace: string): Promise<string[]> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.keys(existing.customAttributes ?? {});
  } catch (error) {
    if ((error as { code?: number }).code === status.UNIMPLEMENTED) return [];
    throw error;
  }
}
