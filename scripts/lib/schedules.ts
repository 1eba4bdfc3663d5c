/**
 * The project's Temporal Schedules, created or brought up to date at every start (`npm run dev`,
 * the cluster set-up): today one, `monthly-assessment`, which runs `monthlyAssessmentWorkflow` at
 * 00:30 Beijing time on the 1st of each month to freeze the month just ended (Art. 25).
 *
 * - 00:30, not 00:00: a case closed in the last minutes of the month has its assessment written.
 * - Overlap BUFFER_ONE: a run still waiting for a worker does not make the next one be dropped.
 * - Catch-up window of 7 days: after a Temporal outage over the 1st, the missed run still happens
 *   (it freezes the month of its slot, whatever day it runs); after a longer one, freeze the
 *   month with `POST /v1/rankings/:month/freeze` or `temporal schedule trigger`.
 */
import { Connection, ScheduleAlreadyRunning, ScheduleClient, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleDescription, ScheduleOptions } from '@temporalio/client';
import { MONTHLY_ASSESSMENT_SCHEDULE_ID } from '../../workflows/assessment/definitions.js';

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

/** What differs between a schedule as it is and as the project wants it; empty when nothing does. */
export function scheduleDifferences(description: ScheduleDescription, taskQueue: string): string[] {
  const differences: string[] = [];
  const { spec, action, policies } = description;
  const calendars = spec.calendars ?? [];
  const c = calendars[0];
  if (spec.timezone !== TIMEZONE) differences.push(`timezone ${spec.timezone}`);
  if ((spec.intervals ?? []).length > 0 || calendars.length !== 1) differences.push('calendars');
  else if (
    !c ||
    !only(c.second, AT.second) ||
    !only(c.minute, AT.minute) ||
    !only(c.hour, AT.hour) ||
    !only(c.dayOfMonth, AT.dayOfMonth) ||
    !every(c.month, 'JANUARY', 'DECEMBER') ||
    !every(c.dayOfWeek, 'SUNDAY', 'SATURDAY') ||
    (c.year ?? []).length > 0
  )
    differences.push('calendar');
  if (action.workflowType !== WORKFLOW_TYPE) differences.push(`workflow type ${action.workflowType}`);
  if (action.taskQueue !== taskQueue) differences.push(`task queue ${action.taskQueue}`);
  if ((action.args ?? []).length > 0) differences.push('arguments');
  if (policies.overlap !== ScheduleOverlapPolicy.BUFFER_ONE) differences.push(`overlap ${policies.overlap}`);
  if (policies.catchupWindow !== CATCHUP_WINDOW_MS) differences.push(`catch-up window ${policies.catchupWindow} ms`);
  return differences;
}

/**
 * Creates the `monthly-assessment` Schedule, or updates it when its spec, action or policies
 * differ from the project's; a second call changes nothing. A paused schedule stays paused.
 */
export async function ensureSchedules(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  options: EnsureScheduleOptions = {},
): Promise<{ scheduleId: string; change: ScheduleChange }> {
  const wanted = monthlyAssessmentSchedule(taskQueue, options.scheduleId ?? MONTHLY_ASSESSMENT_SCHEDULE_ID);
  const client = new ScheduleClient({ connection, namespace });
  try {
    await client.create(wanted);
    return { scheduleId: wanted.scheduleId, change: 'created' };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.getHandle(wanted.scheduleId);
  if (scheduleDifferences(await handle.describe(), taskQueue).length === 0)
    return { scheduleId: wanted.scheduleId, change: 'unchanged' };
  await handle.update((previous) => ({
    ...previous,
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...previous.policies, ...wanted.policies },
  }));
  return { scheduleId: wanted.scheduleId, change: 'updated' };
}

/** `ensureSchedules` over a connection of its own to `address`; the progress line to print. */
export async function ensureSchedulesAt(address: string, namespace: string, taskQueue: string): Promise<string> {
  const connection = await Connection.connect({ address });
  try {
    const { scheduleId, change } = await ensureSchedules(connection, namespace, taskQueue);
    return `schedule ${scheduleId} ${change} (1st of each month, 00:30 Asia/Shanghai; task queue ${taskQueue})`;
  } finally {
    await connection.close();
  }
}
