/**
 * Deadline scenarios in a few lines: start an appeal, act as a party, skip to an instant,
 * assert the case. Runs on the real time-skipping test server with the real worker and a
 * real PostgreSQL.
 *
 * Why a harness: the test server skips time only while a client waits on a workflow result,
 * never while it waits on an Update. So time here is moved explicitly (`skipTo`, `skip`),
 * Updates complete at once (their handlers only change state), and every assertion waits
 * until the workflow has processed what happened (`settle`) — no real waiting, no flakes.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { AnnouncedNotice, Notification } from '../../activities/notifications/index.js';
import type { UpdateDefinition } from '@temporalio/common';
import { appealWorkflow } from '../../workflows/index.js';
import {
  acceptDispatchUpdate,
  appealWorkflowId,
  caseQuery,
  triageAppealUpdate,
  TASK_QUEUE,
  type AppealCase,
  type Party,
  type WorkOrder,
} from '../../workflows/appeal/definitions.js';
import type { AppealOptions } from '../../workflows/appeal/continuation.js';
import { createWorker } from '../../worker/createWorker.js';
import { getAppealRecord } from '../../db/queries/cases.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal.js';
import { testLogger } from '../support/logger.js';
import { temporal, type HistoryEvent } from '../../scripts/lib/temporalProto.js';

const EventType = temporal.api.enums.v1.EventType;
/** Commands after which a workflow waits for nothing but time or a person. */
const QUIET_COMMANDS = new Set([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);
const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
/** How a case's workflow ends. Not continue-as-new: then the case goes on in a new run, which the next look reads. */
const CLOSED = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);

export const center: Party = { role: 'center' };
export const intake: Party = { role: 'intake' };
export const unit = (unitId: string): Party => ({ role: 'unit', unitId });
export const coordinator = (unitId: string): Party => ({ role: 'coordinator', unitId });

export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url).pathname;
/** The prefix of the fixtures today's cases record (lean cases keeping their current case in the record: see PATCHES.recordedCase). */
export const CURRENT_ERA = 'notices-with-steps-';

const HOUR = 3600_000;
export const hours = (n: number): number => n * HOUR;
/** An ISO instant `ms` after another. */
export const plus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();
export const days = (n: number): number => n * 24 * HOUR;

/** One time-skipping environment and worker per test file. */
export class ScenarioWorld {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly worker: Worker,
    private readonly running: Promise<void>,
    readonly database: TestDatabase,
  ) {}

  /** `startsAt`: the instant virtual time starts from (a date the official calendar knows); default now. */
  static async create(database: TestDatabase, options: { startsAt?: Date } = {}): Promise<ScenarioWorld> {
    const env = await createTimeSkippingEnv(options);
    const worker = await createWorker({
      connection: env.nativeConnection,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    return new ScenarioWorld(env, worker, worker.run(), database);
  }

  async teardown(): Promise<void> {
    this.worker.shutdown();
    await this.running;
    await this.env.teardown();
  }

  /**
   * Starts an appeal received "now" in virtual time; fields default to a street-level noise
   * complaint. `options`: the workflow's own (e.g. low limits to continue as new).
   */
  async startAppeal(fields: Partial<WorkOrder> = {}, options?: AppealOptions): Promise<AppealScenario> {
    const order: WorkOrder = {
      appealId: `s-${randomUUID().slice(0, 8)}`,
      channel: 'phone',
      appealType: 'complaint',
      categoryCode: 'environment.noise',
      content: '小区楼下夜间施工噪音扰民',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
      requester: { name: '王五', phone: '13700000000' },
      receivedAt: new Date(await this.env.currentTimeMs()).toISOString(),
      ...fields,
    };
    const handle = await this.env.client.workflow.start(appealWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: appealWorkflowId(order.appealId),
      args: options ? [order, options] : [order],
      staticSummary: `${order.appealType} · ${order.categoryCode} · ${order.districtId ?? '?'}/${order.streetId ?? '?'}`,
    });
    const scenario = new AppealScenario(this, order, handle);
    await scenario.settle();
    return scenario;
  }

  /** An appeal dispatched by the catalogue and accepted by the unit it went to (fields as for `startAppeal`). */
  async acceptedAppeal(fields: Partial<WorkOrder> = {}): Promise<AppealScenario> {
    const appeal = await this.startAppeal(fields);
    const dispatched = await appeal.act(triageAppealUpdate, { by: center, disposition: 'dispatch' });
    await appeal.act(acceptDispatchUpdate, { by: unit(dispatched.leadUnitId!) });
    return appeal;
  }
}

/**
 * For a test file: its own database and time-skipping world, created before its tests and
 * torn down after them. Read `world` and `database` inside tests (they exist from then on).
 */
export function useScenarioWorld(options: { startsAt?: Date } = {}): {
  readonly world: ScenarioWorld;
  readonly database: TestDatabase;
} {
  let world: ScenarioWorld | undefined;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    world = await ScenarioWorld.create(database, options);
  });
  afterAll(async () => {
    await world?.teardown();
    await database?.drop();
  });
  return {
    get world() {
      if (!world) throw new Error('the scenario world exists only inside tests');
      return world;
    },
    get database() {
      if (!database) throw new Error('the test database exists only inside tests');
      return database;
    },
  };
}

export class AppealScenario {
  /** Wall-clock and virtual time at the start, to show that only virtual time moved. */
  readonly wallStart = Date.now();
  readonly virtualStart: number;

  constructor(
    readonly world: ScenarioWorld,
    readonly order: WorkOrder,
    readonly handle: WorkflowHandle<typeof appealWorkflow>,
  ) {
    this.virtualStart = Date.parse(order.receivedAt);
  }

  get appealId(): string {
    return this.order.appealId;
  }

  async state(): Promise<AppealCase> {
    return this.handle.query(caseQuery);
  }

  /** Sends an Update as a party and returns the case it answers with, once the workflow has acted on it. */
  async act<I>(update: UpdateDefinition<AppealCase, [I]>, input: I): Promise<AppealCase> {
    await this.handle.executeUpdate(update, { args: [input] });
    return this.settle();
  }

  /** Sends an Update that must be refused; returns the typed failure. */
  async refused<I>(update: UpdateDefinition<AppealCase, [I]>, input: I): Promise<ApplicationFailure> {
    const error = await this.handle.executeUpdate(update, { args: [input] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `${update.name} should have been refused`).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  /**
   * Moves virtual time just past `instant` (ISO or epoch ms), then lets the workflow catch up.
   * "Just past" is one second: the server starts a timer when it records the command, a few
   * milliseconds after the workflow computed it, so a deadline's timer fires that much later.
   */
  async skipTo(instant: string | number): Promise<AppealCase> {
    const target = (typeof instant === 'string' ? Date.parse(instant) : instant) + 1000;
    const now = await this.world.env.currentTimeMs();
    if (target > now) await this.world.env.sleep(target - now);
    return this.settle();
  }

  async skip(ms: number): Promise<AppealCase> {
    return this.skipTo((await this.world.env.currentTimeMs()) + ms - 1000);
  }

  async now(): Promise<number> {
    return this.world.env.currentTimeMs();
  }

  /**
   * Waits (in wall time, with virtual time standing still) until the workflow has finished
   * reacting: its history ends in a completed workflow task followed only by commands that
   * wait for nothing (timers started, search attributes, update results).
   */
  async settle(): Promise<AppealCase> {
    // Quiet twice in a row, with the same history: a single look may race a task in flight.
    let quietAt = -1;
    for (let i = 0; i < 500; i++) {
      const history = await this.handle.fetchHistory();
      const events = history.events ?? [];
      let j = events.length - 1;
      while (j >= 0 && QUIET_COMMANDS.has(events[j]!.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED)) j--;
      const last = events[j]?.eventType;
      if (last != null && CLOSED.has(last)) return this.closedInRecord(await this.handle.result());
      const quiet = last === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && !(await this.timerDue(events));
      if (quiet && quietAt === events.length) return this.recordedAsQueried(await this.state());
      quietAt = quiet ? events.length : -1;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`appeal ${this.appealId} did not settle`);
  }

  /**
   * The case as its query answers it, once checked against the case record: a case keeps its
   * current case there at every change (what the API reads), so at rest the two are the same.
   * A case whose intake is not recorded has no record to check.
   */
  private async recordedAsQueried(queried: AppealCase): Promise<AppealCase> {
    const row = await getAppealRecord(this.world.database.db, this.appealId);
    if (row && !row.finalCase)
      expect(row.currentCase, `the case record of ${this.appealId} holds the case its workflow answers`).toEqual(
        queried,
      );
    return queried;
  }

  /** A closed case's record keeps its final case only: the current one it kept while open is cleared. */
  private async closedInRecord(closed: AppealCase): Promise<AppealCase> {
    const row = await getAppealRecord(this.world.database.db, this.appealId);
    if (row?.finalCase) expect(row.currentCase, `the case record of ${this.appealId} at its close`).toBeNull();
    return closed;
  }

  /**
   * Saves this execution's history as a replay fixture of today's era
   * (`test/fixtures/<CURRENT_ERA><name>.history.pb`) when the run is asked to
   * (`UPDATE_FIXTURES=1 npm test`); the replay test checks that today's workflow code still
   * replays every saved history, of every era.
   */
  async saveHistoryAsFixture(name: string): Promise<void> {
    if (process.env.UPDATE_FIXTURES !== '1') return;
    const history = await this.handle.fetchHistory();
    // The protobuf encoding of the history, exactly as the server sent it.
    await writeFile(
      join(FIXTURES_DIR, `${CURRENT_ERA}${name}.history.pb`),
      temporal.api.history.v1.History.encode(history).finish(),
    );
  }

  /** Updates in the history; a refused Update leaves none (its validator ran before). */
  async updateEventCount(): Promise<number> {
    const history = await this.handle.fetchHistory();
    return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
  }

  /** Notifications the case has sent so far (`notify` and `notifyAll` activities: to whom, what kind, the text). */
  async notifications(): Promise<Notification[]> {
    return notificationsIn((await this.handle.fetchHistory()).events ?? []);
  }

  /** Whether a timer that is still running should already have fired (the server has yet to deliver it). */
  private async timerDue(events: HistoryEvent[]): Promise<boolean> {
    const now = await this.world.env.currentTimeMs();
    const closed = new Set<string>();
    for (const e of events) {
      const id = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
      if (id) closed.add(id);
    }
    return events.some((e) => {
      const started = e.timerStartedEventAttributes;
      if (!started?.timerId || closed.has(started.timerId)) return false;
      const fireAt = tsMs(e.eventTime) + tsMs(started.startToFireTimeout);
      return fireAt <= now;
    });
  }

  /** The assertion every scenario ends with: days of virtual time, seconds of wall time. */
  async expectVirtualTimeMoved(atLeastMs: number): Promise<void> {
    const virtualElapsed = (await this.world.env.currentTimeMs()) - this.virtualStart;
    expect(virtualElapsed).toBeGreaterThanOrEqual(atLeastMs);
    expect(Date.now() - this.wallStart).toBeLessThan(Math.min(atLeastMs, 60_000));
  }
}

/** A local activity's marker in a history: its type and result payload (undefined for any other event). */
function localActivityOf(e: HistoryEvent): { type: string; result?: Payload } | undefined {
  const marker = e.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  const { activity_type } = JSON.parse(Buffer.from(data).toString()) as { activity_type: string };
  return { type: activity_type, result: marker!.details?.result?.payloads?.[0] as Payload | undefined };
}

/** The activities a history ran: scheduled as activity tasks, and run locally (their markers), in order. */
export function activitiesIn(events: HistoryEvent[]): { scheduled: string[]; local: string[] } {
  const scheduled: string[] = [];
  const local: string[] = [];
  for (const e of events) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.push(name);
    const localActivity = localActivityOf(e);
    if (localActivity) local.push(localActivity.type);
  }
  return { scheduled, local };
}

/**
 * Local activities that say notifications: `announceNotices`, `recordMoment` with the steps beside
 * them, and `recordIntakeWithHints` (the work order number, `received`).
 */
const ANNOUNCING = new Set(['announceNotices', 'recordMoment', 'recordIntakeWithHints']);

/** The notifications the local activities said in a history (their results), with each one's route. */
export function announcedIn(events: HistoryEvent[]): AnnouncedNotice[] {
  return events.flatMap((e) => {
    const localActivity = localActivityOf(e);
    if (!localActivity || !ANNOUNCING.has(localActivity.type) || !localActivity.result) return [];
    const said = defaultPayloadConverter.fromPayload<{ notices?: AnnouncedNotice[]; received?: AnnouncedNotice }>(
      localActivity.result,
    );
    return said.notices ?? (said.received ? [said.received] : []);
  });
}

/**
 * The notifications a history carries, in order: said by local activities (see `announcedIn`),
 * or by the `notify` (one each) and `notifyAll` (several each) activities of cases from before
 * it (`deliverNotices` only delivers what was announced).
 */
export function notificationsIn(events: HistoryEvent[]): Notification[] {
  return events.flatMap((e) => {
    if (e.markerRecordedEventAttributes) return announcedIn([e]);
    const scheduled = e.activityTaskScheduledEventAttributes;
    const name = scheduled?.activityType?.name;
    if (name !== 'notify' && name !== 'notifyAll') return [];
    return (scheduled!.input?.payloads ?? []).flatMap((p) => {
      const input = defaultPayloadConverter.fromPayload<Notification | Notification[]>(p as Payload);
      return Array.isArray(input) ? input : [input];
    });
  });
}
