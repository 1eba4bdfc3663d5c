export * from './cases.js';
