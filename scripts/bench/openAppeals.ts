/**
 * `BENCH_MODE=open npm run bench`: how far one dev server and one worker carry open appeals.
 * Appeals waiting on acceptance are opened in steps (10k, 50k, 100k by default); after each step
 * it reports the time to open them, the process's RSS with the worker's cache capped, reads of
 * one case through the API, the history length per case, and a timer storm: a batch of appeals
 * whose acceptance windows all expire within about a minute, timed until every one of them shows
 * as overdue and reminded, with the task queues' backlog sampled meanwhile. It stops early, and
 * says why, when the time budget or the machine's memory runs out.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { temporal } from '../lib/temporalProto.js';
import { appeals, auditEvents } from '../../db/schema/index.js';
import { appealWorkflowId, TASK_QUEUE, triageAppealUpdate } from '../../workflows/appeal/definitions.js';
import { addFastPolicy, routeCategoryTo } from '../lib/fastPolicies.js';
import { appealOps, newWorkOrder, START_BODY } from './appeals.js';
import { rssOfStack } from './cpu.js';
import { runPool, statsOf, type Stats } from './measure.js';
import { readWorkerMetrics, workerInterval, type WorkerInterval } from './workerMetrics.js';
import { markdownTable } from './report.js';
import type { BenchStack } from './stack.js';

export interface OpenSettings {
  steps: number[];
  concurrency: number;
  /** Appeals in each step's timer storm. */
  stormSize: number;
  /** The storm's acceptance window, in seconds from dispatch. */
  stormWindowSec: number;
  /**
   * Wall-clock budget of the whole mode: a step that would start after it is not run, and a step
   * under way when it runs out stops opening and is measured as far as it got.
   */
  budgetMin: number;
  say: (message: string) => void;
}

export interface StormResult {
  cases: number;
  /** First to last acceptance deadline of the storm. */
  deadlineSpreadSec: number;
  /** From the last deadline until every storm case was overdue / reminded; null if not within the wait. */
  allOverdueSec: number | null;
  allRemindedSec: number | null;
  /** Workflow and activity backlog of the task queue, sampled from the first deadline on, with the worker's view. */
  backlog: {
    atSec: number;
    workflowTasks: number;
    activityTasks: number;
    overdue: number;
    reminded: number;
    worker?: WorkerInterval;
  }[];
  /** The worker over the storm, from its metrics: absent when they could not be read. */
  worker?: StormWorker;
}

export interface StormWorker {
  tasksTaken: number;
  /** Mean wait of a workflow task from its scheduling to a worker taking it, over the storm and at its worst second. */
  scheduleToStartMeanMs: number | null;
  scheduleToStartPeakMs: number | null;
  /** Tasks whose case the cache no longer held (each replayed its history first). */
  cacheMisses: number;
  minWorkflowSlotsAvailable: number;
}

export interface OpenStep {
  target: number;
  open: number;
  openSec: number;
  openPerSec: number;
  errors: number;
  rssMb: number;
  /** The Temporal server's processes (the dev server, or the cluster's four services). */
  temporalRssMb?: number;
  heapUsedMb: number;
  cachedWorkflows: number;
  maxCachedWorkflows: number;
  read: Stats;
  historyEventsMean: number;
  historyEventsMax: number;
  /** The machine's available memory after the step: the Temporal server, PostgreSQL and this process together. */
  machineAvailableMb: number;
  /** Absent when the machine's memory was short before it (`stoppedBecause` says so). */
  storm?: StormResult;
}

export interface OpenResult {
  steps: OpenStep[];
  /** Why it stopped before the last step, if it did. */
  stoppedBecause?: string;
}

const ms = (value: number | null) => (value === null ? '–' : `${value.toFixed(0)} ms`);

/** The worker over a storm: the whole interval's counts, and the worst of its seconds. */
function stormWorker(whole: WorkerInterval, seconds: StormResult['backlog']): StormWorker {
  const intervals = seconds.flatMap((s) => (s.worker ? [s.worker] : []));
  const waits = intervals.flatMap((i) => (i.scheduleToStartMeanMs === null ? [] : [i.scheduleToStartMeanMs]));
  return {
    tasksTaken: whole.tasksTaken,
    scheduleToStartMeanMs: whole.scheduleToStartMeanMs,
    scheduleToStartPeakMs: waits.length ? Math.max(...waits) : null,
    cacheMisses: whole.cacheMisses,
    minWorkflowSlotsAvailable: Math.min(
      whole.workflowSlotsAvailable,
      ...intervals.map((i) => i.workflowSlotsAvailable),
    ),
  };
}

/** The storm's category and policy: a category of its own, so the load's appeals keep their long windows. */
const STORM_CATEGORY = 'utilities.water.quality';
const STORM_POLICY = 'bench-storm';

/**
 * The load's policy: its category's policy with an acceptance window that outlasts the run (the
 * budget and an hour for the last step's reads and storm). The load is appeals at rest, waiting
 * on acceptance; with the seeded hour, a run longer than an hour had every case opened in its
 * first hour go overdue, be reminded and escalate while it went on opening, which the storms
 * measure apart.
 */
const LOAD_POLICY = 'bench-open';

type TaskQueueType = (typeof temporal.api.enums.v1.TaskQueueType)[keyof typeof temporal.api.enums.v1.TaskQueueType];

async function describeBacklog(stack: BenchStack): Promise<{ workflowTasks: number; activityTasks: number }> {
  const backlogOf = async (taskQueueType: TaskQueueType) => {
    const response = await stack.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: TASK_QUEUE },
      taskQueueType,
      reportStats: true,
    });
    return Number(response.stats?.approximateBacklogCount ?? 0);
  };
  const [workflowTasks, activityTasks] = await Promise.all([
    backlogOf(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    backlogOf(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return { workflowTasks, activityTasks };
}

export async function runOpenAppeals(stack: BenchStack, settings: OpenSettings): Promise<OpenResult> {
  const { client, db, apiUrl, keys, worker } = stack;
  const { say } = settings;
  const began = performance.now();
  const open: string[] = [];
  const steps: OpenStep[] = [];

  await addFastPolicy(db, {
    code: STORM_POLICY,
    copyOf: 'utility-24h',
    seconds: { acceptance: settings.stormWindowSec },
    description: 'benchmark timer storm: utility-24h with an acceptance window of seconds',
  });
  await routeCategoryTo(db, STORM_CATEGORY, STORM_POLICY);
  await addFastPolicy(db, {
    code: LOAD_POLICY,
    copyOf: 'utility-24h',
    seconds: { acceptance: (settings.budgetMin + 60) * 60 },
    description: 'benchmark load: utility-24h with an acceptance window longer than the run',
  });
  await routeCategoryTo(db, START_BODY.categoryCode, LOAD_POLICY);

  const ops = appealOps(stack);
  const dispatch = (appealId: string) =>
    client.workflow
      .getHandle(appealWorkflowId(appealId))
      .executeUpdate(triageAppealUpdate, { args: [{ by: { role: 'center' }, disposition: 'dispatch' }] });

  const pastBudget = () => (performance.now() - began) / 60_000 > settings.budgetMin;
  /**
   * Under a fifth of the machine's memory still available: the dev server keeps its store in
   * memory, so it is the server that grows with the open appeals, not this process.
   */
  const memoryShort = () => os.freemem() < 0.2 * os.totalmem();
  const mustStop = () => pastBudget() || memoryShort();

  async function openUpTo(target: number): Promise<{ seconds: number; errors: number }> {
    const count = target - open.length;
    const started = performance.now();
    let done = 0;
    let lastSaid = started;
    const batch = await runPool(Array.from({ length: count }, newWorkOrder), settings.concurrency, async (order) => {
      if (mustStop()) return;
      await ops.startRecorded(order);
      const dispatched = await dispatch(order.appealId);
      if (open.length === 0) {
        const dueInMin = (Date.parse(dispatched.deadlines.acceptance ?? '') - Date.now()) / 60_000;
        say(
          `  the load waits on acceptance under ${dispatched.policy?.code}: due ${dueInMin.toFixed(0)} min after dispatch`,
        );
      }
      open.push(order.appealId);
      done++;
      if (performance.now() - lastSaid > 15_000) {
        lastSaid = performance.now();
        const rate = done / ((lastSaid - started) / 1000);
        say(`  ${open.length} open (${rate.toFixed(0)}/s; ${((count - done) / rate / 60).toFixed(1)} min to go)`);
      }
    });
    if (batch.errors.length) say(`  ${batch.errors.length} failed to open, e.g. ${batch.errors[0]}`);
    return { seconds: (performance.now() - started) / 1000, errors: batch.errors.length };
  }

  async function readCases(): Promise<Stats> {
    const sample = Array.from({ length: 200 }, () => open[Math.floor(Math.random() * open.length)]!);
    const batch = await runPool(sample, 10, async (appealId) => {
      const response = await fetch(`${apiUrl}/v1/appeals/${appealId}`, {
        headers: { authorization: `Bearer ${keys.supervisor}` },
      });
      await response.text();
      if (!response.ok) throw new Error(`GET /v1/appeals/:id: ${response.status}`);
    });
    return statsOf([batch]);
  }

  async function historyLengths(): Promise<{ mean: number; max: number }> {
    const sample = Array.from({ length: 20 }, () => open[Math.floor(Math.random() * open.length)]!);
    const lengths = await Promise.all(
      sample.map(
        async (id) => (await client.workflow.getHandle(appealWorkflowId(id)).fetchHistory()).events?.length ?? 0,
      ),
    );
    return { mean: lengths.reduce((a, b) => a + b, 0) / lengths.length, max: Math.max(...lengths) };
  }

  async function storm(): Promise<StormResult> {
    // Intake first (no timer runs in triage), then every dispatch as fast as it goes: the windows
    // start within the dispatch's spread and expire `stormWindowSec` later.
    const orders = Array.from({ length: settings.stormSize }, () => ({
      ...newWorkOrder(),
      categoryCode: STORM_CATEGORY,
    }));
    await runPool(orders, settings.concurrency, (order) => ops.startRecorded(order));
    const ids = orders.map((o) => o.appealId);
    await runPool(ids, settings.concurrency, (id) => dispatch(id));
    const deadlines = await db.db
      .select({ min: sql<Date>`min(${appeals.dueAt})`, max: sql<Date>`max(${appeals.dueAt})` })
      .from(appeals)
      .where(inArray(appeals.id, ids));
    const first = new Date(deadlines[0]!.min).getTime();
    const last = new Date(deadlines[0]!.max).getTime();
    say(`  storm: ${ids.length} acceptance windows expire within ${((last - first) / 1000).toFixed(0)} s`);
    open.push(...ids);

    const countOf = async (where: ReturnType<typeof and>) =>
      (
        await db.db
          .select({ n: sql<number>`count(distinct ${appeals.id})::int` })
          .from(appeals)
          .where(where)
      )[0]!.n;
    const overdueCount = () => countOf(and(inArray(appeals.id, ids), eq(appeals.overdue, true)));
    const remindedCount = async () =>
      (
        await db.db
          .select({ n: sql<number>`count(distinct ${auditEvents.appealId})::int` })
          .from(auditEvents)
          .where(and(inArray(auditEvents.appealId, ids), eq(auditEvents.type, 'acceptance_reminder')))
      )[0]!.n;

    while (Date.now() < first) await sleep(250);
    const workerAt = () => readWorkerMetrics(stack.workerMetricsUrl).catch(() => undefined);
    const workerAtFirst = await workerAt();
    let workerLast = workerAtFirst;
    const backlog: StormResult['backlog'] = [];
    let allOverdueSec: number | null = null;
    let allRemindedSec: number | null = null;
    const giveUpAt = last + 10 * 60_000;
    while (Date.now() < giveUpAt && (allOverdueSec === null || allRemindedSec === null)) {
      const [queues, overdue, reminded, workerNow] = await Promise.all([
        describeBacklog(stack),
        overdueCount(),
        remindedCount(),
        workerAt(),
      ]);
      const atSec = (Date.now() - first) / 1000;
      const worker = workerLast && workerNow ? workerInterval(workerLast, workerNow) : undefined;
      workerLast = workerNow;
      backlog.push({ atSec, ...queues, overdue, reminded, ...(worker ? { worker } : {}) });
      const sinceLast = Math.max(0, (Date.now() - last) / 1000);
      if (allOverdueSec === null && overdue === ids.length) allOverdueSec = sinceLast;
      if (allRemindedSec === null && reminded === ids.length) allRemindedSec = sinceLast;
      await sleep(1000);
    }
    say(
      `  storm: all overdue ${allOverdueSec === null ? 'not within 10 min' : `${allOverdueSec.toFixed(1)} s`}, all reminded ${allRemindedSec === null ? 'not within 10 min' : `${allRemindedSec.toFixed(1)} s`} after the last deadline`,
    );
    const worker =
      workerAtFirst && workerLast ? stormWorker(workerInterval(workerAtFirst, workerLast), backlog) : undefined;
    if (worker) {
      say(
        `  storm, the worker: ${worker.tasksTaken} workflow tasks, waiting ${ms(worker.scheduleToStartMeanMs)} from scheduling to start (${ms(worker.scheduleToStartPeakMs)} at the worst second), ${worker.cacheMisses} cache misses, at least ${worker.minWorkflowSlotsAvailable} workflow task slots free`,
      );
    }
    return {
      cases: ids.length,
      deadlineSpreadSec: (last - first) / 1000,
      allOverdueSec,
      allRemindedSec,
      backlog,
      ...(worker ? { worker } : {}),
    };
  }

  let stoppedBecause: string | undefined;
  for (const target of settings.steps) {
    if (pastBudget()) {
      stoppedBecause = `the time budget of ${settings.budgetMin} min (BENCH_OPEN_BUDGET_MIN) ran out before the ${target} step`;
      break;
    }
    if (memoryShort()) {
      stoppedBecause = `under 20% of the machine's memory was available before the ${target} step`;
      break;
    }
    say(`open appeals: up to ${target} (${target - open.length} more)`);
    const opened = await openUpTo(target);
    const cut = open.length < target - opened.errors && mustStop();
    const budgetRanOut = pastBudget();
    await sleep(10_000);
    const read = await readCases();
    const history = await historyLengths();
    const rss = process.memoryUsage();
    const step: Omit<OpenStep, 'storm'> = {
      target,
      open: open.length,
      openSec: opened.seconds,
      openPerSec: (open.length - (steps.at(-1)?.open ?? 0)) / opened.seconds,
      errors: opened.errors,
      rssMb: rss.rss / 1024 / 1024,
      temporalRssMb: rssOfStack()?.temporal,
      heapUsedMb: rss.heapUsed / 1024 / 1024,
      cachedWorkflows: worker.getStatus().numCachedWorkflows,
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
      read,
      historyEventsMean: history.mean,
      historyEventsMax: history.max,
      machineAvailableMb: os.freemem() / 1024 / 1024,
    };
    say(
      `  ${step.open} open in ${step.openSec.toFixed(0)} s; RSS ${step.rssMb.toFixed(0)} MB${step.temporalRssMb === undefined ? '' : ` (Temporal ${step.temporalRssMb.toFixed(0)} MB)`}; read p50 ${read.p50Ms.toFixed(0)} ms, p99 ${read.p99Ms.toFixed(0)} ms; history ${history.mean.toFixed(0)} events`,
    );
    if (memoryShort()) {
      steps.push(step);
      stoppedBecause = `under 20% of the machine's memory was available at ${step.open} open (the ${target} step), so no storm was run`;
      break;
    }
    steps.push({ ...step, storm: await storm() });
    if (cut) {
      stoppedBecause = budgetRanOut
        ? `the time budget of ${settings.budgetMin} min (BENCH_OPEN_BUDGET_MIN) ran out during the ${target} step, at ${step.open} open`
        : `under 20% of the machine's memory was available during the ${target} step, at ${step.open} open`;
      break;
    }
    if (opened.errors > 0.01 * (target - (steps.at(-2)?.open ?? 0))) {
      stoppedBecause = `over 1% of the openings failed at the ${target} step`;
      break;
    }
  }
  return { steps, ...(stoppedBecause ? { stoppedBecause } : {}) };
}

export function openTable(result: OpenResult): string {
  const header = [
    'open appeals',
    'time to open',
    'RSS · cached / cap',
    'Temporal server RSS',
    'GET /v1/appeals/:id p50 / p99',
    'history events mean / max',
    'storm: cases, deadline spread',
    'storm: all overdue / reminded after the last deadline',
    'storm: peak backlog (workflow / activity tasks)',
    'storm: workflow task wait mean / worst second · cache misses',
  ];
  const secs = (v: number | null) => (v === null ? 'not within 10 min' : `${v.toFixed(1)} s`);
  const cells = result.steps.map((s) => [
    String(s.open),
    `${s.openSec.toFixed(0)} s (${s.openPerSec.toFixed(0)}/s${s.errors ? `, ${s.errors} failed` : ''})`,
    `${s.rssMb.toFixed(0)} MB · ${s.cachedWorkflows} / ${s.maxCachedWorkflows}`,
    s.temporalRssMb === undefined ? '–' : `${s.temporalRssMb.toFixed(0)} MB`,
    `${s.read.p50Ms.toFixed(0)} / ${s.read.p99Ms.toFixed(0)} ms`,
    `${s.historyEventsMean.toFixed(0)} / ${s.historyEventsMax}`,
    ...(s.storm
      ? [
          `${s.storm.cases}, ${s.storm.deadlineSpreadSec.toFixed(0)} s`,
          `${secs(s.storm.allOverdueSec)} / ${secs(s.storm.allRemindedSec)}`,
          `${Math.max(0, ...s.storm.backlog.map((b) => b.workflowTasks))} / ${Math.max(0, ...s.storm.backlog.map((b) => b.activityTasks))}`,
          s.storm.worker
            ? `${ms(s.storm.worker.scheduleToStartMeanMs)} / ${ms(s.storm.worker.scheduleToStartPeakMs)} · ${s.storm.worker.cacheMisses}`
            : '–',
        ]
      : ['not run (memory)', '–', '–', '–']),
  ]);
  return markdownTable(header, cells);
}
