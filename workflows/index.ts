// The one workflowsPath of the worker.
export { appealWorkflow } from './appeal/workflow.js';
// The co-handler child of cases started before the `every-party` patch (frozen).
export { coHandlerWorkflow } from './coHandler/legacy/workflow.js';
export { coHandlingWorkflow } from './coHandler/workflow.js';
// Freezes a month's rankings; run by the `monthly-assessment` Schedule.
export { monthlyAssessmentWorkflow } from './assessment/workflow.js';
// Anonymises appeals closed longer ago than the retention; run by the `personal-data-anonymisation` Schedule.
export { anonymisationWorkflow } from './privacy/workflow.js';
