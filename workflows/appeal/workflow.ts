import { legacyAppealWorkflow } from './legacy/workflow.js';
import type { AppealCase, WorkOrder } from './definitions.js';

export async function appealWorkflow(order: WorkOrder): Promise<AppealCase> {
  return legacyAppealWorkflow(order);
}
