/**
 * Temporal's protobuf namespace. `@temporalio/proto` is a CommonJS module: under Node's ESM
 * (tsx, vitest) its namespace is only reachable through the default export.
 */
import proto from '@temporalio/proto';

export const { temporal } = proto;
export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
