export * from './cases.js';
export * from './reference.js';
export * from './knowledge.js';
export * from './api.js';
export * from './webhooks.js';
export * from './assessmentWeights.js';
export * from './frozenMonths.js';
export * from './privacy.js';
