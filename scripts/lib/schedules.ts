/**
 * The project's Temporal Schedules, created or brought up to date at every start (`npm run dev`,
 * the cluster set-up):
 *
 * `monthly-assessment` runs `monthlyAssessmentWorkflow` at 00:30 Beijing time on the 1st of each
 * month to freeze the month just ended (Art. 25).
 * - 00:30, not 00:00: a case closed in the last minutes of the month has its assessment written.
 * - Overlap BUFFER_ONE: a run still waiting for a worker does not make the next one be dropped.
 * - Catch-up window of 7 days: after a Temporal outage over the 1st, the missed run still happens
 *   (it freezes the month of its slot, whatever day it runs); after a longer one, freeze the
 *   month with `POST /v1/rankings/:month/freeze` or `temporal schedule trigger`.
 *
 * `personal-data-anonymisation` runs `anonymisationWorkflow` every day at 03:00 Beijing time with
 * the configured retention (`PERSONAL_DATA_RETENTION_DAYS`) as its argument (Art. 26).
 * - Overlap SKIP: a run still busy makes the next day's wait; it would find the same appeals.
 * - Catch-up window of 1 day: a day missed during an outage is done by the next day's run.
 */
import { Connection, ScheduleAlreadyRunning, ScheduleClient, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleDescription, ScheduleOptions } from '@temporalio/client';
import { MONTHLY_ASSESSMENT_SCHEDULE_ID } from '../../workflows/assessment/definitions.js';
import {
  ANONYMISATION_SCHEDULE_ID,
  DEFAULT_RETENTION_DAYS,
  type AnonymisationInput,
} from '../../workflows/privacy/definitions.js';

const WORKFLOW_TYPE = 'monthlyAssessmentWorkflow';
const TIMEZONE = 'Asia/Shanghai';
const CATCHUP_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Second, minute, hour, day of month of the run; every month of every year. */
const AT = { second: 0, minute: 30, hour: 0, dayOfMonth: 1 } as const;

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

export interface EnsureScheduleOptions {
  /** Another id than `monthly-assessment` (tests that share a server). */
  scheduleId?: string;
}

export interface EnsureSchedulesOptions {
  /** Other ids than the project's (tests that share a server). */
  scheduleIds?: { monthlyAssessment?: string; anonymisation?: string };
  /** The anonymisation's retention in days (`PERSONAL_DATA_RETENTION_DAYS`); default 180. */
  retentionDays?: number;
}

export interface ScheduleOutcome {
  scheduleId: string;
  change: ScheduleChange;
}

function monthlyAssessmentSchedule(taskQueue: string, scheduleId: string) {
  return {
    scheduleId,
    spec: {
      calendars: [{ ...AT, comment: 'freeze the month just ended: 1st of each month, 00:30 Beijing time' }],
      timezone: TIMEZONE,
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: WORKFLOW_TYPE,
      // The Schedule appends each run's scheduled time to this id.
      workflowId: scheduleId,
      taskQueue,
      args: [],
    },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: CATCHUP_WINDOW_MS },
  } satisfies ScheduleOptions;
}

type Ranges = readonly { start: unknown; end?: unknown }[];
const only = (ranges: Ranges | undefined, value: unknown): boolean =>
  ranges?.length === 1 && ranges[0]!.start === value && (ranges[0]!.end ?? value) === value;
/** No restriction: omitted, or the whole range. */
const every = (ranges: Ranges | undefined, first: unknown, last: unknown): boolean =>
  !ranges || ranges.length === 0 || (ranges.length === 1 && ranges[0]!.start === first && ranges[0]!.end === last);

/** What a Schedule of the project must be: one calendar at a fixed time, in Beijing time. */
interface WantedSchedule {
  at: { second: number; minute: number; hour: number; dayOfMonth?: number };
  workflowType: string;
  taskQueue: string;
  /** True when the action's arguments are the wanted ones. */
  argsMatch: (args: unknown[]) => boolean;
  overlap: ScheduleOverlapPolicy;
  catchupWindowMs: number;
}

/** What differs between a schedule as it is and as `wanted`; empty when nothing does. */
function differencesFrom(description: ScheduleDescription, wanted: WantedSchedule): string[] {
  const differences: string[] = [];
  const { spec, action, policies } = description;
  const calendars = spec.calendars ?? [];
  const c = calendars[0];
  if (spec.timezone !== TIMEZONE) differences.push(`timezone ${spec.timezone}`);
  if ((spec.intervals ?? []).length > 0 || calendars.length !== 1) differences.push('calendars');
  else if (
    !c ||
    !only(c.second, wanted.at.second) ||
    !only(c.minute, wanted.at.minute) ||
    !only(c.hour, wanted.at.hour) ||
    !(wanted.at.dayOfMonth === undefined ? every(c.dayOfMonth, 1, 31) : only(c.dayOfMonth, wanted.at.dayOfMonth)) ||
    !every(c.month, 'JANUARY', 'DECEMBER') ||
    !every(c.dayOfWeek, 'SUNDAY', 'SATURDAY') ||
    (c.year ?? []).length > 0
  )
    differences.push('calendar');
  if (action.workflowType !== wanted.workflowType) differences.push(`workflow type ${action.workflowType}`);
  if (action.taskQueue !== wanted.taskQueue) differences.push(`task queue ${action.taskQueue}`);
  if (!wanted.argsMatch((action.args ?? []) as unknown[])) differences.push('arguments');
  if (policies.overlap !== wanted.overlap) differences.push(`overlap ${policies.overlap}`);
  if (policies.catchupWindow !== wanted.catchupWindowMs)
    differences.push(`catch-up window ${policies.catchupWindow} ms`);
  return differences;
}

/** What differs between the monthly-assessment schedule as it is and as the project wants it; empty when nothing does. */
export function scheduleDifferences(description: ScheduleDescription, taskQueue: string): string[] {
  return differencesFrom(description, {
    at: AT,
    workflowType: WORKFLOW_TYPE,
    taskQueue,
    argsMatch: (args) => args.length === 0,
    overlap: ScheduleOverlapPolicy.BUFFER_ONE,
    catchupWindowMs: CATCHUP_WINDOW_MS,
  });
}

const ANONYMISATION_WORKFLOW_TYPE = 'anonymisationWorkflow';
const ANONYMISATION_CATCHUP_WINDOW_MS = 24 * 3600 * 1000;
/** Every day at 03:00, when the city's hotline is quietest. */
const DAILY_AT = { second: 0, minute: 0, hour: 3 } as const;

function anonymisationSchedule(taskQueue: string, scheduleId: string, retentionDays: number) {
  const input: AnonymisationInput = { retentionDays };
  return {
    scheduleId,
    spec: {
      calendars: [
        {
          ...DAILY_AT,
          comment: `anonymise appeals closed more than ${retentionDays} days ago: every day, 03:00 Beijing time`,
        },
      ],
      timezone: TIMEZONE,
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: ANONYMISATION_WORKFLOW_TYPE,
      workflowId: scheduleId,
      taskQueue,
      args: [input],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: ANONYMISATION_CATCHUP_WINDOW_MS },
  } satisfies ScheduleOptions;
}

/** What differs between the anonymisation schedule as it is and as the project wants it; empty when nothing does. */
export function anonymisationScheduleDifferences(
  description: ScheduleDescription,
  taskQueue: string,
  retentionDays: number,
): string[] {
  return differencesFrom(description, {
    at: DAILY_AT,
    workflowType: ANONYMISATION_WORKFLOW_TYPE,
    taskQueue,
    argsMatch: (args) => {
      const input = args[0] as Partial<AnonymisationInput> | undefined;
      return args.length === 1 && input?.retentionDays === retentionDays && Object.keys(input).length === 1;
    },
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindowMs: ANONYMISATION_CATCHUP_WINDOW_MS,
  });
}

/**
 * Creates a Schedule, or updates it when `differences` finds its spec, action or policies apart
 * from `wanted`; a second call changes nothing. A paused schedule stays paused.
 */
async function ensureSchedule(
  client: ScheduleClient,
  wanted: ScheduleOptions,
  differences: (description: ScheduleDescription) => string[],
): Promise<ScheduleOutcome> {
  try {
    await client.create(wanted);
    return { scheduleId: wanted.scheduleId, change: 'created' };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.getHandle(wanted.scheduleId);
  if (differences(await handle.describe()).length === 0) return { scheduleId: wanted.scheduleId, change: 'unchanged' };
  await handle.update((previous) => ({
    ...previous,
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...previous.policies, ...wanted.policies },
  }));
  return { scheduleId: wanted.scheduleId, change: 'updated' };
}

/** The `monthly-assessment` Schedule alone, created or brought up to date. */
export async function ensureMonthlyAssessmentSchedule(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  options: EnsureScheduleOptions = {},
): Promise<ScheduleOutcome> {
  const wanted = monthlyAssessmentSchedule(taskQueue, options.scheduleId ?? MONTHLY_ASSESSMENT_SCHEDULE_ID);
  return ensureSchedule(new ScheduleClient({ connection, namespace }), wanted, (d) =>
    scheduleDifferences(d, taskQueue),
  );
}

/** The `personal-data-anonymisation` Schedule alone, created or brought up to date (a new retention is an update). */
export async function ensureAnonymisationSchedule(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  options: { scheduleId?: string; retentionDays?: number } = {},
): Promise<ScheduleOutcome> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const wanted = anonymisationSchedule(taskQueue, options.scheduleId ?? ANONYMISATION_SCHEDULE_ID, retentionDays);
  return ensureSchedule(new ScheduleClient({ connection, namespace }), wanted, (d) =>
    anonymisationScheduleDifferences(d, taskQueue, retentionDays),
  );
}

/** Every Schedule of the project, created or brought up to date: the monthly assessment, then the anonymisation. */
export async function ensureSchedules(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  options: EnsureSchedulesOptions = {},
): Promise<ScheduleOutcome[]> {
  return [
    await ensureMonthlyAssessmentSchedule(connection, namespace, taskQueue, {
      ...(options.scheduleIds?.monthlyAssessment ? { scheduleId: options.scheduleIds.monthlyAssessment } : {}),
    }),
    await ensureAnonymisationSchedule(connection, namespace, taskQueue, {
      ...(options.scheduleIds?.anonymisation ? { scheduleId: options.scheduleIds.anonymisation } : {}),
      ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
    }),
  ];
}

/** `ensureSchedules` over a connection of its own to `address`; the progress line to print. */
export async function ensureSchedulesAt(
  address: string,
  namespace: string,
  taskQueue: string,
  options: { retentionDays?: number } = {},
): Promise<string> {
  const connection = await Connection.connect({ address });
  try {
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    const [monthly, anonymisation] = await ensureSchedules(connection, namespace, taskQueue, { retentionDays });
    return [
      `schedule ${monthly!.scheduleId} ${monthly!.change} (1st of each month, 00:30 Asia/Shanghai; task queue ${taskQueue})`,
      `schedule ${anonymisation!.scheduleId} ${anonymisation!.change} (every day, 03:00 Asia/Shanghai; retention ${retentionDays} days)`,
    ].join('; ');
  } finally {
    await connection.close();
  }
}
