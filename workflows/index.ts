// The one workflowsPath of the worker.
export { appealWorkflow } from './appeal/workflow.js';
export { coHandlerWorkflow } from './coHandler/workflow.js';
