/**
 * The worker's own view of a storm, from its Prometheus metrics (the SDK core's, served by the
 * benchmark's runtime): how many cases it holds, how many workflow task slots are free, how
 * long a workflow task waited between its scheduling and a worker taking it, and how often a
 * task found its case evicted (a cache miss, so a replay). The task queue's backlog says that
 * tasks wait; these say whether they wait for the worker's slots, its cache, or the server.
 *
 * Only the few series named below are read, summed over the appeals' task queue (the floors'
 * worker shares the runtime); a line parser of the text format is all that takes.
 */
import { TASK_QUEUE } from '../../domain/appeal.js';

export interface WorkerMetrics {
  cachedWorkflows: number;
  workflowSlotsAvailable: number;
  /** Workflow tasks taken, and their summed wait from scheduling to start, in ms. */
  scheduleToStart: { count: number; sumMs: number };
  cacheHits: number;
  cacheMisses: number;
  forcedEvictions: number;
}

/** One sample of the worker over an interval: differences of the counters, the gauges as read at its end. */
export interface WorkerInterval {
  cachedWorkflows: number;
  workflowSlotsAvailable: number;
  tasksTaken: number;
  /** Mean wait of the interval's tasks from scheduling to start; null when none was taken. */
  scheduleToStartMeanMs: number | null;
  cacheMisses: number;
  forcedEvictions: number;
}

/** `name{labels} value` of the text exposition format; comments and blank lines are skipped. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

export function parseWorkerMetrics(text: string): WorkerMetrics {
  const metrics: WorkerMetrics = {
    cachedWorkflows: 0,
    workflowSlotsAvailable: 0,
    scheduleToStart: { count: 0, sumMs: 0 },
    cacheHits: 0,
    cacheMisses: 0,
    forcedEvictions: 0,
  };
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    // Series of another task queue (the floors') are not the appeals'; the cache's have none.
    const queue = /task_queue="([^"]*)"/.exec(labels)?.[1];
    if (queue !== undefined && queue !== TASK_QUEUE) continue;
    if (name === 'temporal_sticky_cache_size') metrics.cachedWorkflows += value;
    else if (name === 'temporal_sticky_cache_hit_total') metrics.cacheHits += value;
    else if (name === 'temporal_sticky_cache_miss_total') metrics.cacheMisses += value;
    else if (name === 'temporal_sticky_cache_total_forced_eviction_total') metrics.forcedEvictions += value;
    else if (name === 'temporal_worker_task_slots_available' && labels.includes('worker_type="WorkflowWorker"'))
      metrics.workflowSlotsAvailable += value;
    else if (name!.startsWith('temporal_workflow_task_schedule_to_start_latency')) {
      if (name!.endsWith('_sum')) metrics.scheduleToStart.sumMs += value;
      else if (name!.endsWith('_count')) metrics.scheduleToStart.count += value;
    }
  }
  return metrics;
}

export async function readWorkerMetrics(url: string): Promise<WorkerMetrics> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return parseWorkerMetrics(await response.text());
}

/** What happened between two samples. */
export function workerInterval(before: WorkerMetrics, after: WorkerMetrics): WorkerInterval {
  const tasksTaken = after.scheduleToStart.count - before.scheduleToStart.count;
  return {
    cachedWorkflows: after.cachedWorkflows,
    workflowSlotsAvailable: after.workflowSlotsAvailable,
    tasksTaken,
    scheduleToStartMeanMs:
      tasksTaken > 0 ? (after.scheduleToStart.sumMs - before.scheduleToStart.sumMs) / tasksTaken : null,
    cacheMisses: after.cacheMisses - before.cacheMisses,
    forcedEvictions: after.forcedEvictions - before.forcedEvictions,
  };
}
