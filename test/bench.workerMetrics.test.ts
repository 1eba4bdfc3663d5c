import { describe, expect, it } from 'vitest';
import { parseWorkerMetrics, workerInterval } from '../scripts/bench/workerMetrics.js';

/** As the SDK core's Prometheus exporter writes them, for the appeals' queue and the floors'. */
const exposition = (appeals: { size: number; miss: number; count: number; sum: number; slots: number }) => `
# HELP temporal_sticky_cache_size Current number of cached workflows
# TYPE temporal_sticky_cache_size gauge
temporal_sticky_cache_size{namespace="default",service_name="temporal-core-sdk",task_queue="appeals"} ${appeals.size}
temporal_sticky_cache_size{namespace="default",service_name="temporal-core-sdk",task_queue="bench-floor"} 7
temporal_sticky_cache_hit_total{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",workflow_type="appealWorkflow"} 40
temporal_sticky_cache_miss_total{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",workflow_type="appealWorkflow"} ${appeals.miss}
temporal_sticky_cache_miss_total{namespace="default",service_name="temporal-core-sdk",task_queue="bench-floor",workflow_type="floor"} 99
temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",worker_type="WorkflowWorker"} ${appeals.slots}
temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",worker_type="ActivityWorker"} 100
temporal_workflow_task_schedule_to_start_latency_bucket{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",le="100"} 4
temporal_workflow_task_schedule_to_start_latency_bucket{namespace="default",service_name="temporal-core-sdk",task_queue="appeals",le="+Inf"} ${appeals.count}
temporal_workflow_task_schedule_to_start_latency_sum{namespace="default",service_name="temporal-core-sdk",task_queue="appeals"} ${appeals.sum}
temporal_workflow_task_schedule_to_start_latency_count{namespace="default",service_name="temporal-core-sdk",task_queue="appeals"} ${appeals.count}
temporal_workflow_task_schedule_to_start_latency_sum{namespace="default",service_name="temporal-core-sdk",task_queue="bench-floor"} 5000
temporal_workflow_task_schedule_to_start_latency_count{namespace="default",service_name="temporal-core-sdk",task_queue="bench-floor"} 5
`;

describe("the worker's metrics during a storm", () => {
  it("reads the appeals' queue only: cache, slots, task waits and misses", () => {
    const metrics = parseWorkerMetrics(exposition({ size: 2000, miss: 12, count: 6, sum: 450, slots: 38 }));
    expect(metrics).toEqual({
      cachedWorkflows: 2000,
      workflowSlotsAvailable: 38,
      scheduleToStart: { count: 6, sumMs: 450 },
      cacheHits: 40,
      cacheMisses: 12,
      forcedEvictions: 0,
    });
  });

  it('turns two samples into an interval: counters as differences, gauges as read last', () => {
    const before = parseWorkerMetrics(exposition({ size: 1990, miss: 12, count: 6, sum: 450, slots: 40 }));
    const after = parseWorkerMetrics(exposition({ size: 2000, miss: 30, count: 26, sum: 4450, slots: 31 }));
    expect(workerInterval(before, after)).toEqual({
      cachedWorkflows: 2000,
      workflowSlotsAvailable: 31,
      tasksTaken: 20,
      scheduleToStartMeanMs: 200,
      cacheMisses: 18,
      forcedEvictions: 0,
    });
    expect(workerInterval(after, after).scheduleToStartMeanMs).toBeNull();
  });

  it('reads nothing from text that is not the exposition format', () => {
    expect(parseWorkerMetrics('<html>not found</html>\n\n# just a comment').cachedWorkflows).toBe(0);
  });
});
