// The one workflowsPath of the worker.
export { appealWorkflow } from './appeal/workflow.js';
