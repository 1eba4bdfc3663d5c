/**
 * The state of one running appeal and the few primitives the process is written with:
 * record a step, tell someone, wait for an action or a deadline, publish to supervisors.
 * Deterministic: instants come from the workflow clock, every side effect is an activity.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.js';
import type { WindowName } from '../../../activities/deadlines/index.js';
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
  Street,
} from '../../searchAttributes.js';
import { NOTIFY_ACTIVITY_OPTIONS } from '../../../domain/notifications.js';
import { involvedUnitIds, type AppealCase, type Stage, type WorkOrder } from '../definitions.js';

const records = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['UnknownPolicy', 'UnknownCategory'],
  },
});
/** Webhook delivery: retried with backoff, then dead-lettered by the activity itself. */
const notifications = wf.proxyActivities<Pick<Activities, 'notify'>>(NOTIFY_ACTIVITY_OPTIONS);

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

export class AppealRun {
  readonly state: AppealCase;
  /** Set by the withdraw / merge handlers; every wait ends when it is. */
  /** Whether the lead unit is a street or township (only they blow the whistle, Art. 18). */
  leadIsStreet = false;
  ended?: { kind: 'withdrawn' | 'merged'; reason: string; originalAppealId?: string };
  /** True while the process waits for an action or a deadline (it has acted on everything so far). */
  waiting = false;
  private stepCounter = 0;
  private readonly writes: Promise<unknown>[] = [];
  private lastStep: Promise<unknown> = Promise.resolve();
  private unrecordedSteps = 0;

  constructor(readonly order: WorkOrder) {
    this.state = {
      appealId: order.appealId,
      stage: 'triage',
      appealType: order.appealType,
      categoryCode: order.categoryCode,
      districtId: order.districtId,
      streetId: order.streetId,
      supervisingUnitIds: [],
      coHandlers: [],
      deadlines: {},
      overdue: false,
      escalationLevel: 0,
      acceptanceReminders: 0,
      rehandlings: 0,
      nextActor: 'center',
      waitingSince: order.receivedAt,
      timeline: [],
    };
  }

  now(): string {
    return new Date().toISOString();
  }

  // The sandbox has no structuredClone; the case is plain JSON anyway.
  snapshot = (): AppealCase => JSON.parse(JSON.stringify(this.state)) as AppealCase;

  /**
   * Records one step: the timeline, the audit trail and the case record (one idempotent
   * activity keyed on the step number), and what supervisors see in the UI. The write is
   * scheduled at once and awaited before the workflow completes.
   */
  step(type: string, actor: string, options: StepOptions = {}): void {
    const at = options.at ?? this.now();
    this.state.timeline.push({ at, type, actor, ...(options.reason ? { reason: options.reason } : {}) });
    const s = this.state;
    const step = {
      appealId: s.appealId,
      stepKey: String(++this.stepCounter),
      type,
      actor,
      reason: options.reason,
      payload: options.payload,
      at,
      patch: {
        stage: s.stage,
        leadUnitId: s.leadUnitId ?? null,
        coHandlerIds: s.coHandlers.map((c) => c.unitId),
        involvedUnitIds: involvedUnitIds(s),
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
    // Steps are written one after another, so the audit trail's order is the workflow's.
    this.unrecordedSteps++;
    this.lastStep = this.lastStep.then(() => records.recordStep(step)).finally(() => this.unrecordedSteps--);
    this.writes.push(this.lastStep);
    this.publish();
  }

  /** Moves to a stage and says who must act next, from when. */
  enter(stage: Stage, nextActor: string, dueAt?: string): void {
    this.state.stage = stage;
    this.waitOn(nextActor, dueAt);
  }

  waitOn(nextActor: string, dueAt?: string): void {
    this.state.nextActor = nextActor;
    this.state.waitingSince = this.now();
    this.state.dueAt = dueAt;
    this.state.overdue = false;
  }

  notify(to: string, kind: string, message: string): void {
    this.writes.push(
      notifications.notify({
        appealId: this.state.appealId,
        notificationKey: `${this.stepCounter}:${to}:${kind}`,
        to,
        kind,
        message,
      }),
    );
  }

  accountability(
    unitId: string,
    kind: 'late_acceptance' | 'overdue_handling' | 'objection_rejected',
    detail: string,
  ): void {
    this.writes.push(
      records.recordAccountability({
        appealId: this.state.appealId,
        stepKey: `${kind}:${this.stepCounter}`,
        unitId,
        kind,
        detail,
        at: this.now(),
      }),
    );
  }

  /**
   * Waits until `done()` holds or `dueAt` passes. True when done, false at the deadline.
   * Ends the process (CaseEnded) as soon as the case is withdrawn or merged.
   */
  async waitUntil(done: () => boolean, dueAt?: string): Promise<boolean> {
    const settled = () => done() || this.ended !== undefined;
    this.waiting = true;
    let ok: boolean;
    try {
      ok =
        dueAt === undefined
          ? (await wf.condition(settled), true)
          : await wf.condition(settled, Math.max(0, Date.parse(dueAt) - Date.now()));
    } finally {
      this.waiting = false;
    }
    if (this.ended) throw new CaseEnded(this.ended.kind);
    return ok && done();
  }

  /** Deadlines for the given windows from `from`, by the policy version this case keeps. */
  async deadlinesFrom(from: string, windows: WindowName[]): Promise<Partial<Record<WindowName, string>>> {
    const policy = this.state.policy;
    if (!policy) throw new Error('no policy yet: deadlines before dispatch');
    const computed = await records.computeDeadlines({
      policyCode: policy.code,
      policyVersion: policy.version,
      from,
      windows,
    });
    if (computed.calendarNote) this.state.calendarNote = computed.calendarNote;
    Object.assign(this.state.deadlines, computed.deadlines);
    return computed.deadlines;
  }

  /** Supervisors' view in the Temporal UI: search attributes and the current details line. */
  publish(): void {
    const s = this.state;
    wf.upsertSearchAttributes([
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
    ]);
    wf.setCurrentDetails(
      [
        `**${s.stage}** · waiting on \`${s.nextActor}\` since ${s.waitingSince}`,
        s.dueAt ? `due ${s.dueAt}${s.overdue ? ' — **OVERDUE**' : ''}` : 'no deadline running',
        s.leadUnitId ? `lead unit: ${s.leadUnitId}` : 'no lead unit yet',
        s.coHandlers.length ? `co-handlers: ${s.coHandlers.map((c) => `${c.unitId} (${c.status})`).join(', ')}` : '',
        s.escalationLevel ? `escalation level ${s.escalationLevel}` : '',
        s.calendarNote ? `calendar: ${s.calendarNote}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }

  /** Every step so far is in the case record and the audit trail (what the API's lists read). */
  get recorded(): boolean {
    return this.unrecordedSteps === 0;
  }

  /** Every scheduled write has landed (before the workflow returns). */
  async flush(): Promise<void> {
    await Promise.all(this.writes);
  }
}

export { records };
