/**
 * The state of one running appeal and the primitives the process is written with: record a
 * step, tell someone, hold a unit to account, wait for an action or a deadline, run a
 * sub-matter alongside, publish to supervisors. Deterministic: instants come from the workflow
 * clock, every side effect is an activity.
 */
import * as wf from '@temporalio/workflow';
import type { RetryPolicy, SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import type { StepInput as StepRecordInput } from '../../activities/records/index.js';
import type { AnnouncedNotice, Notification } from '../../activities/notifications/index.js';
import type { PolicyLimits, WindowName } from '../../activities/deadlines/index.js';
import { NOTIFY_ACTIVITY_OPTIONS } from '../../domain/notifications.js';
import { beijingTimeText } from '../../domain/requesterMessages.js';
import { PATCHES, type PatchId } from '../patches.js';
import { caseAtIntake, pendingActors } from '../../domain/caseAtIntake.js';
import { countWindows, WorkingCalendar, type DeadlineRules } from '../../domain/workingCalendar.js';
import {
  CONTINUE_AS_NEW_LIMITS,
  inboxHolds,
  runIsLong,
  type AppealOptions,
  type ContinueAsNewLimits,
} from './continuation.js';
import type { Inbox } from './inbox.js';
import type { coHandlingWorkflow } from '../coHandler/workflow.js';
import {
  AppealId,
  AppealStage,
  AppealType,
  Category,
  District,
  DueAt,
  EscalationLevel,
  LeadUnit,
  NextActor,
  Overdue,
  StabilityRisk,
  Street,
  WorkOrderNo,
} from '../searchAttributes.js';
import {
  involvedUnitIds,
  type AccountabilityKind,
  type AppealCase,
  type Stage,
  type WorkOrder,
} from './definitions.js';

/** Retries of the case's own reads and writes; a refusal no attempt would overcome is not retried. */
const RECORDS_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: [
    'UnknownPolicy',
    'UnknownCategory',
    'UnknownPolicyWindow',
    'InvalidInput',
    // PostgreSQL refused the data (activities/dataRefusals.ts): no attempt would succeed.
    'RecordRejected',
  ],
};

export type Records = ReturnType<typeof wf.proxyActivities<Activities>>;

/** As activities: the cases started before the `local-records` patch. */
const remoteRecords: Records = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: RECORDS_RETRY,
});
/**
 * As local activities: the case's short PostgreSQL writes need no task queue of their own nor a
 * separate retry schedule. Retried in the worker for 10 s, then through workflow timers, with
 * the same backoff and the same refusals.
 */
const localRecords: Records = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: RECORDS_RETRY,
});

/**
 * Only writes run locally. The process reads the clock right after a read (a deadline computed,
 * then the step that starts it); within the task of a local activity that clock is not the one
 * a replay sees, so the case's instants would differ after a replay. After a write the process
 * reads no clock: the step's instant was taken before it.
 */
const LOCAL_WRITES = new Set<string>([
  'recordIntake',
  'recordMoment',
  'recordStep',
  'recordSteps',
  'recordCurrentCase',
  'recordAccountability',
  'recordAssessment',
]);
const writesLocal: Records = new Proxy({} as Records, {
  get: (_, name: string) => (LOCAL_WRITES.has(name) ? localRecords : remoteRecords)[name as keyof Records],
});

/** Webhook delivery: retried with backoff, then dead-lettered by the activity itself. */
const notifications =
  wf.proxyActivities<Pick<Activities, 'notify' | 'notifyAll' | 'deliverNotices'>>(NOTIFY_ACTIVITY_OPTIONS);

/** Thrown out of any wait when the requester withdrew or the case was merged: the process ends. */
export class CaseEnded extends Error {
  override name = 'CaseEnded';
}

export interface StepOptions {
  /** The instant the step happened, when deadlines were computed from it before it was recorded. */
  at?: string;
  reason?: string;
  payload?: Record<string, unknown>;
}

const HOUR_MS = 3_600_000;

export class AppealRun {
  readonly state: AppealCase;
  /** The policy's numbers, read once at dispatch (undefined before). */
  limits?: PolicyLimits;
  /** The work order is in the case record (what a start waits for). */
  intakeRecorded = false;
  /** Set by the withdraw / merge handlers; every wait ends when it is. */
  ended?: {
    kind: 'withdrawn' | 'merged';
    reason: string;
    originalAppealId?: string;
    originalWorkOrderNo?: string;
    by: string;
  };
  /** Set once the case is closing: sub-matters running alongside start nothing new. */
  closing = false;
  /** True while the main process waits for an action or a deadline (it has acted on everything so far). */
  waiting = false;
  /** Updates this run has accepted (the server limits them per execution). */
  updatesAccepted = 0;
  /** Ids of the Updates this run accepted, after the last ones of the runs before it. */
  private readonly updateIds: string[];
  /** The last Update ids of the runs before: the server knows an Update id within one run only. */
  private readonly earlierUpdateIds: ReadonlySet<string>;
  /** This run's number among the case's runs (1 until it continues as new). */
  readonly runs: number;
  /** Long cases continue as new (cases started before the `continue-as-new` patch never do). */
  private readonly continuesAsNew: boolean;
  private readonly continueAsNewLimits: ContinueAsNewLimits;
  private stepCounter = 0;
  private accountabilityCounter = 0;
  private pendingWrites = 0;
  private alongsideOpen = 0;
  private readonly writes: Promise<unknown>[] = [];
  private lastStep: Promise<unknown> = Promise.resolve();
  /** Steps (and writes of the current case alone) handed to a write that has not landed yet. */
  private unrecordedSteps = 0;
  /** The case as last handed to a write of the case record (a case that records it: `recordsCase`). */
  private recordedCaseJson?: string;
  /** A lean case's steps not yet handed to a write, and whether a write will take them. */
  private readonly queuedSteps: StepRecordInput[] = [];
  private stepsWriteQueued = false;
  /** A lean case's notifications not yet handed to an activity (or, saying them with its steps, to a write). */
  private readonly queuedNotices: Notification[] = [];
  private flushScheduled = false;
  /** The search attributes as last upserted (a lean case upserts only what changed). */
  private readonly published = new Map<string, string>();
  /** The calendar of `rules`, ready for lookups. */
  private rulesCalendar?: WorkingCalendar;
  private readonly alongside: Promise<void>[] = [];
  /**
   * A write that failed for good (e.g. `RecordRejected`: PostgreSQL refuses the data). The next
   * wait of the process throws it, so the workflow fails visibly with the reason instead of
   * retrying its task forever on an unhandled rejection.
   */
  private failure?: Error;
  private readonly fail = (error: unknown): void => {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
  };

  /** A side effect the case does not wait for now, but must have landed before it closes. */
  private write(effect: Promise<unknown>): void {
    this.pendingWrites++;
    this.writes.push(effect.catch(this.fail).finally(() => this.pendingWrites--));
  }
  /** The running workflow of each co-handler, by unit id. */
  readonly children = new Map<string, wf.ChildWorkflowHandle<typeof coHandlingWorkflow>>();

  /** The case's database reads and writes (see `writesLocal`). */
  readonly records: Records;
  /**
   * Reads a lean case makes within the workflow task, after which it reads no clock (the triage
   * hints); other cases make them as activities.
   */
  get localReads(): Records {
    return this.batchesLocally ? localRecords : this.records;
  }
  /**
   * Reads the case makes within the workflow task (`localReads`), holding its clock: what the
   * task does after the read is dated at the instant the read started. A local activity's
   * result reaches the workflow with the worker's clock moved on, while a replay, which takes
   * the result from the history, sees the task's clock unmoved: holding it, the case's instants
   * are the same in both. The hold ends with the task (the next one starts at another instant).
   */
  async readLocally<T>(read: (records: Records) => Promise<T>): Promise<T> {
    const startedAt = this.clock();
    const result = await read(this.localReads);
    if (this.batchesLocally) this.holdClockAt(startedAt);
    return result;
  }
  /** Dates what the rest of this workflow task does at `at` (an instant of the task's recent past). */
  holdClockAt(at: number): void {
    this.held = { at, seen: Date.now() };
  }
  /** The instant a local read started, and the workflow clock its result came with (see `readLocally`). */
  private held?: { at: number; seen: number };
  /** A case from the `local-dispatch-plan` change on reads its dispatch plan within the workflow task. */
  readonly readsPlanLocally: boolean;
  /** A case from the `local-notices` change on says and routes its notifications within the workflow task. */
  private readonly announcesLocally: boolean;
  /**
   * Started from the `lean-case` change on: every earlier change applies under its one marker,
   * and the case uses the leaner ways (see PATCHES.leanCase). Cases started before keep theirs.
   */
  readonly lean: boolean;
  /** The rules a lean case counts its later deadlines by, from its dispatch plan (undefined before). */
  rules?: DeadlineRules<WindowName>;
  /** A lean case whose records are local activities: it batches its steps and makes short reads locally. */
  private readonly batchesLocally: boolean;
  /** A case from the `recorded-case` change on keeps its current case in the case record at every change. */
  readonly recordsCase: boolean;
  /**
   * A case from the `notices-with-steps` change on says its notifications in the write of its
   * steps, and the work order number in the intake's.
   */
  readonly noticesWithSteps: boolean;

  /** `options.carried`: the case continues from a previous run, where that run left it. */
  constructor(
    readonly order: WorkOrder,
    readonly options: AppealOptions = {},
  ) {
    // A case's era is one marker: the newest change it started with implies every one before.
    const noticesWithSteps = wf.patched(PATCHES.noticesWithSteps);
    const recordsCase = noticesWithSteps || wf.patched(PATCHES.recordedCase);
    const noticesLocally = recordsCase || wf.patched(PATCHES.localNotices);
    const plansLocally = noticesLocally || wf.patched(PATCHES.localDispatchPlan);
    this.lean = plansLocally || wf.patched(PATCHES.leanCase);
    this.records = this.runsWith(PATCHES.localRecords) ? writesLocal : remoteRecords;
    this.batchesLocally = this.lean && this.records === writesLocal;
    this.readsPlanLocally = plansLocally && this.batchesLocally;
    this.announcesLocally = noticesLocally && this.batchesLocally;
    this.recordsCase = recordsCase && this.batchesLocally;
    this.noticesWithSteps = noticesWithSteps && this.batchesLocally;
    this.continuesAsNew = this.runsWith(PATCHES.continueAsNew);
    this.continueAsNewLimits = { ...CONTINUE_AS_NEW_LIMITS, ...options.continueAsNew };
    const carried = options.carried;
    this.runs = (carried?.runs ?? 0) + 1;
    this.updateIds = [...(carried?.updateIds ?? [])];
    this.earlierUpdateIds = new Set(this.updateIds);
    if (carried) {
      this.state = { ...carried.state, runs: this.runs };
      this.limits = carried.limits;
      if (this.lean && carried.rules) this.rules = carried.rules;
      this.intakeRecorded = true;
      this.stepCounter = carried.steps;
      this.accountabilityCounter = carried.accountabilityRecords;
      return;
    }
    this.state = caseAtIntake(order);
  }

  /** The workflow clock in milliseconds, held after a local read for the rest of its task. */
  clock(): number {
    const held = this.held;
    if (held && Date.now() === held.seen) return held.at;
    this.held = undefined;
    return Date.now();
  }
  now = (): string => new Date(this.clock()).toISOString();
  /** The case as its query answers it, as JSON. */
  private caseJson(): string {
    return JSON.stringify({ ...this.state, pendingActors: pendingActors(this.state) });
  }
  // The sandbox has no structuredClone; the case is plain JSON anyway.
  snapshot = (): AppealCase => JSON.parse(this.caseJson()) as AppealCase;

  /** Whether this case runs with a change: a lean case runs with every change before it. */
  runsWith(patch: PatchId): boolean {
    return this.lean || wf.patched(patch);
  }

  get policyLimits(): PolicyLimits {
    if (!this.limits) throw new Error('no policy yet: limits before dispatch');
    return this.limits;
  }

  /**
   * Records one step: the timeline, the audit trail and the case record (one idempotent
   * activity keyed on the step number), and what supervisors see in the UI. Steps are written
   * one after another, so the audit trail's order is the workflow's. Returns the step key.
   */
  step(type: string, actor: string, options: StepOptions = {}): string {
    const at = options.at ?? this.now();
    this.state.timeline.push({ at, type, actor, ...(options.reason ? { reason: options.reason } : {}) });
    const s = this.state;
    s.pendingActors = pendingActors(s);
    const stepKey = String(++this.stepCounter);
    const step: StepRecordInput = {
      appealId: s.appealId,
      stepKey,
      type,
      actor,
      reason: options.reason,
      payload: options.payload,
      at,
      patch: {
        stage: s.stage,
        leadUnitId: s.leadUnitId ?? null,
        // Known at intake, or from the lead chosen for a case of no known place.
        ...(s.districtId ? { districtId: s.districtId } : {}),
        coHandlerIds: s.coHandlers.map((c) => c.unitId),
        involvedUnitIds: involvedUnitIds(s),
        pendingActors: s.pendingActors,
        nextActor: s.nextActor,
        waitingSince: s.waitingSince,
        deadlines: s.deadlines,
        dueAt: s.dueAt ?? null,
        overdue: s.overdue,
        escalationLevel: s.escalationLevel,
        ...(s.policy ? { policyCode: s.policy.code, policyVersion: s.policy.version } : {}),
        ...(s.disposition ? { disposition: s.disposition } : {}),
        ...(s.result ? { result: s.result } : {}),
        ...(s.callback ? { callback: s.callback } : {}),
        ...(s.originalAppealId ? { originalAppealId: s.originalAppealId } : {}),
        // The whole case once, at the close: a closed appeal reads the same from its record.
        ...(s.stage === 'closed' ? { closedAt: at, finalCase: this.snapshot() } : {}),
      },
    };
    this.unrecordedSteps++;
    if (this.batchesLocally) this.queueStep(step);
    else {
      this.lastStep = this.lastStep
        .then(() => this.records.recordStep(step))
        .catch(this.fail)
        .finally(() => this.unrecordedSteps--);
      this.writes.push(this.lastStep);
    }
    this.publish();
    return stepKey;
  }

  /** The case as a write other than the steps' (the intake's) put it in the record. */
  caseRecordedAs(recorded: AppealCase): void {
    this.recordedCaseJson = JSON.stringify(recorded);
  }

  /**
   * A lean case writes its steps in batches: the steps taken since the last write started go in
   * one local activity, one transaction, in their order (one marker event for them all), once
   * the workflow task has done what it can (its conditions are checked only then), or as soon
   * as the process or an action waits.
   */
  private queueStep(step: StepRecordInput): void {
    this.queuedSteps.push(step);
    this.flushLater();
  }

  /**
   * The process flushes when it waits, and so does an action; what is queued while the process
   * waits already (by an action or a sub-matter running alongside, say) goes once the task's
   * conditions are checked. What the running process queues waits for its next wait: no
   * condition to check for it.
   */
  private flushLater(): void {
    if (this.flushScheduled || !this.waiting) return;
    this.flushScheduled = true;
    void wf
      .condition(() => this.waiting)
      .then(() => {
        this.flushScheduled = false;
        this.flushQueued();
      });
  }

  /**
   * Hands what a lean case queued to its activities: the steps, then the notifications (a case
   * that says them with its steps hands them to the same write).
   */
  flushQueued(): void {
    this.flushSteps();
    if (this.noticesWithSteps) return;
    const notices = this.queuedNotices.splice(0);
    if (notices.length === 0) return;
    if (this.announcesLocally) this.write(this.announce(notices));
    else if (notices.length === 1) this.write(notifications.notify(notices[0]!));
    else this.write(notifications.notifyAll(notices));
  }

  /**
   * Says the notifications within the workflow task (a local read: who has an endpoint), then
   * delivers those that have one as an activity; a notification with nowhere to go costs no task.
   */
  private async announce(notices: Notification[]): Promise<void> {
    const announced = await this.readLocally((records) => records.announceNotices(notices));
    await this.deliver(announced.notices);
  }

  /** Delivers, as an activity with its retry schedule, the announced notifications that have an endpoint. */
  private async deliver(announced: AnnouncedNotice[]): Promise<void> {
    const toSend = announced.filter((n) => n.route === 'send').map(({ route: _, ...notice }) => notice);
    if (toSend.length > 0) await notifications.deliverNotices(toSend);
  }

  /** Notifications a write said already (the intake's, a moment's): those with an endpoint are delivered. */
  said(announced: AnnouncedNotice[]): void {
    if (announced.some((n) => n.route === 'send')) this.write(this.deliver(announced));
  }

  /**
   * Hands the queued steps to a write (after the one in flight, if any); a case that records its
   * current case hands it too, with the steps or, changed without a step, alone.
   */
  private flushSteps(): void {
    if (this.stepsWriteQueued) return;
    const caseAlone = this.queuedSteps.length === 0 && this.recordsCase && this.caseJson() !== this.recordedCaseJson;
    const noticesQueued = this.noticesWithSteps && this.queuedNotices.length > 0;
    if (this.queuedSteps.length === 0 && !caseAlone && !noticesQueued) return;
    this.stepsWriteQueued = true;
    // A change without a step counts as one to record: an Update answers once it has landed.
    if (caseAlone) this.unrecordedSteps++;
    // Notifications ride on the write: the case is settled only once they are said too.
    const carriesNotices = this.noticesWithSteps;
    if (carriesNotices) this.pendingWrites++;
    this.lastStep = this.lastStep.then(async () => {
      this.stepsWriteQueued = false;
      const batch = this.queuedSteps.splice(0);
      const notices = carriesNotices ? this.queuedNotices.splice(0) : [];
      try {
        await this.writeSteps(batch, notices);
      } catch (error) {
        this.fail(error);
      } finally {
        this.unrecordedSteps -= batch.length + (caseAlone ? 1 : 0);
        if (carriesNotices) this.pendingWrites--;
      }
    });
    this.writes.push(this.lastStep);
  }

  /**
   * Writes steps, in one local activity. A case that records its current case takes it as it is
   * when the write starts (every queued step is in it): on the last step's change to the record,
   * or alone when it changed without a step. Once closed, the final case takes its place.
   */
  private async writeSteps(batch: StepRecordInput[], notices: Notification[]): Promise<void> {
    const json = this.recordsCase ? this.caseJson() : undefined;
    const changed = json !== undefined && json !== this.recordedCaseJson;
    if (changed) this.recordedCaseJson = json;
    const last = batch.at(-1);
    // Once closed, the record keeps the final case only.
    const closed = this.state.stage === 'closed';
    if (last && changed) last.patch = { ...last.patch, currentCase: closed ? null : (JSON.parse(json) as AppealCase) };
    if (this.noticesWithSteps) {
      const moment = await this.readLocally((records) =>
        records.recordMoment({
          appealId: this.state.appealId,
          steps: batch,
          ...(!last && changed && !closed ? { currentCase: JSON.parse(json) as AppealCase } : {}),
          notices,
        }),
      );
      // The delivery is a write of its own: the steps have landed, an Update may answer.
      this.said(moment.notices);
      return;
    }
    if (!last) {
      if (changed && !closed)
        await this.records.recordCurrentCase({
          appealId: this.state.appealId,
          currentCase: JSON.parse(json) as AppealCase,
        });
      return;
    }
    await (batch.length === 1 ? this.records.recordStep(last) : this.records.recordSteps(batch));
  }

  /** Moves to a stage and says who must act next, from when, by when; a new stage starts on time. */
  enter(stage: Stage, nextActor: string, dueAt?: string): void {
    this.state.stage = stage;
    this.waitOn(nextActor, dueAt);
    this.onTime();
  }

  waitOn(nextActor: string, dueAt?: string): void {
    this.state.nextActor = nextActor;
    this.state.waitingSince = this.now();
    this.state.dueAt = dueAt;
  }

  /** The stage's obligation was not met in its window: overdue from the first missed deadline until it is. */
  markOverdue(since: string): void {
    if (!this.state.overdue) this.state.overdueSince = since;
    this.state.overdue = true;
  }

  onTime(): void {
    this.state.overdue = false;
    delete this.state.overdueSince;
  }

  /** A notification's key: the step it follows, its recipient and its kind (a receiver drops a redelivery by it). */
  noticeKey(to: string, kind: string): string {
    return `${this.stepCounter}:${to}:${kind}`;
  }

  /** Tells someone; a lean case sends what one workflow task says in one activity (see `flushQueued`). */
  notify(to: string, kind: string, message: string): void {
    const notification = {
      appealId: this.state.appealId,
      notificationKey: this.noticeKey(to, kind),
      to,
      kind,
      message,
    };
    if (!this.lean) return this.write(notifications.notify(notification));
    this.queuedNotices.push(notification);
    this.flushLater();
  }

  /** Art. 29: a record against a unit, tied to the audit step that says what happened. */
  accountability(unitId: string, kind: AccountabilityKind, detail: string, auditStepKey: string): void {
    this.write(
      this.records.recordAccountability({
        appealId: this.state.appealId,
        stepKey: `${kind}:${unitId}:${auditStepKey}:${++this.accountabilityCounter}`,
        auditStepKey,
        unitId,
        kind,
        detail,
        at: this.now(),
      }),
    );
  }

  /**
   * Waits until `done()` holds or `dueAt` passes. True when done, false at the deadline.
   * Ends the waiter (CaseEnded) as soon as the case is withdrawn or merged.
   */
  async waitUntil(done: () => boolean, dueAt?: string): Promise<boolean> {
    this.flushQueued();
    const settled = () => done() || this.ended !== undefined || this.failure !== undefined;
    const ok =
      dueAt === undefined
        ? (await wf.condition(settled), true)
        : await wf.condition(settled, Math.max(0, Date.parse(dueAt) - this.clock()));
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new CaseEnded(this.ended.kind);
    return ok && done();
  }

  /** The main process's wait: while it waits, it has acted on every accepted action (Updates answer then). */
  async await(done: () => boolean, dueAt?: string): Promise<boolean> {
    this.waiting = true;
    try {
      return await this.waitUntil(done, dueAt);
    } finally {
      this.waiting = false;
    }
  }

  /** Runs a sub-matter's own waiting alongside the main process; it ends quietly with the case. */
  alongsideOf(work: () => Promise<void>): void {
    this.alongsideOpen++;
    this.alongside.push(
      work()
        .catch((error: unknown) => {
          // A refused write ends the case through the main process (see `fail`).
          if (!(error instanceof CaseEnded) && error !== this.failure) throw error;
        })
        .finally(() => this.alongsideOpen--),
    );
  }

  /**
   * The run is long and may continue as new here: nothing runs alongside (a co-handler's child,
   * a summoned department, an authority's opinion: each ends by itself), no action waits in the
   * inbox for the process, the case is not ending. See continuation.ts. Only a run that has taken
   * an action continues: a new run whose own start is past a (low) limit does not start another.
   */
  mayContinueAsNew(inbox: Inbox): boolean {
    return (
      this.continuesAsNew &&
      this.updatesAccepted > 0 &&
      this.ended === undefined &&
      !this.closing &&
      this.failure === undefined &&
      this.alongsideOpen === 0 &&
      !inboxHolds(inbox) &&
      runIsLong(this.continueAsNewLimits, this.updatesAccepted)
    );
  }

  /** Counts the Update being handled (see `updatesAccepted`) and keeps its id. */
  acceptUpdate(): void {
    this.updatesAccepted++;
    const id = wf.currentUpdateInfo()?.id;
    if (id !== undefined) this.updateIds.push(id);
  }

  /**
   * The Update being validated or handled was accepted by an earlier run of the case: a client
   * retried it with the same id (the API's `Idempotency-Key`) across a continue-as-new.
   */
  get repeatsEarlierRun(): boolean {
    const id = wf.currentUpdateInfo()?.id;
    return id !== undefined && this.earlierUpdateIds.has(id);
  }

  /** The last Update ids of the case, for the next run. */
  lastUpdateIds(count: number): string[] {
    return this.updateIds.slice(-count);
  }

  /** The audit trail's and the accountability records' sequence numbers so far (a new run continues them). */
  get sequence(): { steps: number; accountabilityRecords: number } {
    return { steps: this.stepCounter, accountabilityRecords: this.accountabilityCounter };
  }

  /** Deadlines for the given windows from `from`, by the policy version this case keeps. */
  async deadlinesFrom(from: string, windows: WindowName[]): Promise<Partial<Record<WindowName, string>>> {
    const policy = this.state.policy;
    if (!policy) throw new Error('no policy yet: deadlines before dispatch');
    const counted = this.countDeadlines(from, windows);
    if (counted) return this.keepDeadlines(counted);
    const computed = await this.records.computeDeadlines({
      policyCode: policy.code,
      policyVersion: policy.version,
      from,
      windows,
    });
    if (computed.calendarNote) this.state.calendarNote = computed.calendarNote;
    Object.assign(this.state.deadlines, computed.deadlines);
    return computed.deadlines;
  }

  /**
   * A lean case counts a deadline itself when its rules cover it: a window of its policy version,
   * on a day of a year its calendar slice has. Otherwise (a year beyond the slice: the official
   * schedule may know it by now) the deadline activity computes it.
   */
  private countDeadlines(from: string, windows: WindowName[]): Partial<Record<WindowName, string>> | undefined {
    if (!this.lean || !this.rules) return undefined;
    this.rulesCalendar ??= new WorkingCalendar(this.rules.calendar);
    const counted = countWindows(this.rulesCalendar, this.rules.windows, new Date(from), windows);
    return counted.notes.length === 0 && counted.missing.length === 0 ? counted.deadlines : undefined;
  }

  /** Deadlines computed already by the policy version the case keeps (a dispatch plan's), kept as the case's. */
  keepDeadlines<D extends Partial<Record<WindowName, string>>>(deadlines: D): D {
    Object.assign(this.state.deadlines, deadlines);
    return deadlines;
  }

  /** One window from `from` (an instant). */
  async deadline(from: string, window: WindowName): Promise<string> {
    return (await this.deadlinesFrom(from, [window]))[window]!;
  }

  /** An instant `hours` before `iso`. */
  static before(iso: string, hours: number): number {
    return Date.parse(iso) - hours * HOUR_MS;
  }

  /**
   * Supervisors' view in the Temporal UI: search attributes and the current details line. A case
   * that records its current case has it written once the task has done what it can (`flushLater`).
   */
  publish(): void {
    const s = this.state;
    s.pendingActors = pendingActors(s);
    if (this.recordsCase) this.flushLater();
    this.upsert([
      { key: AppealId, value: s.appealId },
      { key: AppealStage, value: s.stage },
      { key: AppealType, value: s.appealType },
      { key: Category, value: s.categoryCode },
      { key: District, value: s.districtId ?? null },
      { key: Street, value: s.streetId ?? null },
      { key: LeadUnit, value: s.leadUnitId ?? null },
      { key: DueAt, value: s.dueAt ? new Date(s.dueAt) : null },
      { key: Overdue, value: s.overdue },
      { key: EscalationLevel, value: s.escalationLevel },
      { key: NextActor, value: s.nextActor },
      { key: StabilityRisk, value: s.stabilityRisk ?? false },
      // Only once given (cases from before work order numbers never have one).
      ...(s.workOrderNo ? [{ key: WorkOrderNo, value: s.workOrderNo }] : []),
    ]);
    const openEscalation = [...(s.escalations ?? [])]
      .reverse()
      .find((e) => e.status === 'requested' || e.status === 'late');
    // Supervisors read Beijing time, as every party is told it.
    const at = (iso: string | undefined): string => (iso ? beijingTimeText(iso) : '—');
    wf.setCurrentDetails(
      [
        `**${s.stage}** · waiting on \`${s.nextActor}\` since ${at(s.waitingSince)}`,
        s.dueAt
          ? `due ${at(s.dueAt)}${s.overdue ? ` — **OVERDUE** since ${at(s.overdueSince ?? s.dueAt)}` : ''}`
          : 'no deadline running',
        s.leadUnitId ? `lead unit: ${s.leadUnitId}${s.leadUnitKind ? ` (${s.leadUnitKind})` : ''}` : 'no lead unit yet',
        s.coHandlers.length ? `co-handlers: ${s.coHandlers.map((c) => `${c.unitId} (${c.status})`).join(', ')}` : '',
        openEscalation
          ? `escalation level ${s.escalationLevel}: ${openEscalation.coordinatorId} owes an opinion by ${at(openEscalation.dueAt)}`
          : s.escalationLevel
            ? `escalation level ${s.escalationLevel}`
            : '',
        s.stabilityRisk ? '**stability risk** (pushed to the government at intake)' : '',
        s.calendarNote ? `calendar: ${s.calendarNote}` : '',
        this.runs > 1 ? `run ${this.runs} of this case: it continued as new (the earlier runs are linked)` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }

  /** Upserts the search attributes; a lean case only those whose value changed, and nothing when none did. */
  private upsert(attributes: SearchAttributeUpdatePair[]): void {
    if (!this.lean) return wf.upsertSearchAttributes(attributes);
    const changed = attributes.filter(({ key, value }) => {
      const seen = JSON.stringify(value);
      if (this.published.get(key.name) === seen) return false;
      this.published.set(key.name, seen);
      return true;
    });
    if (changed.length > 0) wf.upsertSearchAttributes(changed);
  }

  /**
   * Every step so far is in the case record and the audit trail (what the API's lists read), and
   * the current case as it was handed to the last write (a case that records it).
   */
  get recorded(): boolean {
    return this.unrecordedSteps === 0;
  }

  /** Every step, notice and record this run scheduled has landed (before it continues as new). */
  get settled(): boolean {
    return this.unrecordedSteps === 0 && this.pendingWrites === 0;
  }

  /** Every scheduled write has landed (before the workflow returns). */
  async flush(): Promise<void> {
    this.flushQueued();
    // A case that says its notifications with its steps delivers them once that write has landed,
    // so its last deliveries come after the writes flushed here: it waits until all have landed.
    if (this.noticesWithSteps) await wf.condition(() => this.settled || this.failure !== undefined);
    else await Promise.all(this.writes);
    if (this.failure !== undefined) throw this.failure;
  }
}
