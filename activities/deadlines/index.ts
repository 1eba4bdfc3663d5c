import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { getPolicy } from '../../db/queries/reference.js';
import type { DeadlinePolicy } from '../../db/schema/reference.js';
import type { DeadlinePolicyRecord, PolicyWindows } from '../../db/seed/data/types.js';
import { beijingYear, countWindows, type CalendarYears, type DeadlineRules } from '../../domain/workingCalendar.js';
import { OFFICIAL_CALENDAR } from './calendar.js';

/** A window of a deadline policy: acceptance, handling, callbackWindow, ... */
export type WindowName = keyof PolicyWindows;

export type CalendarStatus = 'official' | 'natural_fallback';

export interface ComputeDeadlinesInput {
  policyCode: string;
  policyVersion: number;
  /** ISO instant the windows start from. */
  from: string;
  windows: WindowName[];
}

export interface ComputedDeadlines {
  /** ISO instants (UTC), by window. */
  deadlines: Partial<Record<WindowName, string>>;
  /** 'natural_fallback' when a working-day window ran into a year the official calendar does not cover. */
  calendar: CalendarStatus;
  calendarNote?: string;
}

export interface PolicyRef {
  policyCode: string;
  policyVersion: number;
}

/** The non-window numbers of a policy the workflow decides with (db/seed/data/types.ts explains each). */
export type PolicyLimits = Pick<
  DeadlinePolicyRecord,
  | 'acceptanceReminderLimit'
  | 'callbackMaxAttempts'
  | 'escalationLevels'
  | 'callbackOnResult'
  | 'warningFractions'
  | 'rehandlingCap'
  | 'coHandlerMarginHours'
  | 'coHandlerWhenShort'
  | 'reminderLimits'
  | 'duplicateWindowDays'
  | 'cityEscalationUnitId'
>;

/**
 * The windows of one policy version from one instant, on the official calendar (Asia/Shanghai,
 * statutory holidays and make-up working days included). Pure: the workflow's activities and
 * planDispatch share it.
 */
export function computeWindows(policy: DeadlinePolicy, from: Date, windows: readonly WindowName[]): ComputedDeadlines {
  const { deadlines, notes, missing } = countWindows(OFFICIAL_CALENDAR, policy.windows, from, windows);
  if (missing.length > 0)
    throw ApplicationFailure.nonRetryable(
      `policy ${policy.code} version ${policy.version} has no '${missing[0]}' window`,
      'UnknownPolicyWindow',
    );
  return notes.length === 0
    ? { deadlines, calendar: 'official' }
    : { deadlines, calendar: 'natural_fallback', calendarNote: notes.join('; ') };
}

/**
 * The rules a case counts its later deadlines by (its policy version's windows, the official
 * calendar of the dispatch year and the next): a dispatch plan brings them, so that the case
 * needs no activity for a deadline within those years.
 */
export function deadlineRulesOf(policy: DeadlinePolicy, at: Date): DeadlineRules<WindowName> {
  const year = beijingYear(at);
  let calendar = calendarSlices.get(year);
  if (!calendar) calendarSlices.set(year, (calendar = OFFICIAL_CALENDAR.slice(year, year + 1)));
  return { windows: policy.windows, calendar };
}

/** The slice each dispatch year brings, cut once (the official calendar is fixed for the process). */
const calendarSlices = new Map<number, CalendarYears>();

/** An ISO instant from the workflow; a malformed one is a bug no retry will fix. */
export function parseInstant(value: string, field: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw ApplicationFailure.nonRetryable(`${field} is not an ISO instant: '${value}'`, 'InvalidInput');
  return at;
}

export function createDeadlineActivities(deps: { db: Database; log: Logger }) {
  const policyVersion = async ({ policyCode, policyVersion }: PolicyRef): Promise<DeadlinePolicy> => {
    const policy = await getPolicy(deps.db, policyCode, policyVersion);
    if (!policy)
      throw ApplicationFailure.nonRetryable(
        `unknown deadline policy ${policyCode} version ${policyVersion}`,
        'UnknownPolicy',
      );
    return policy;
  };

  return {
    /**
     * Deadlines of the given windows from `from`, by exactly the policy version the case
     * keeps: a later version never moves a running case's deadlines.
     */
    async computeDeadlines(input: ComputeDeadlinesInput): Promise<ComputedDeadlines> {
      const policy = await policyVersion(input);
      const computed = computeWindows(policy, parseInstant(input.from, 'from'), input.windows);
      deps.log.debug(
        {
          policy: `${policy.code}@${policy.version}`,
          windows: input.windows,
          calendar: computed.calendar,
        },
        'deadlines computed',
      );
      return computed;
    },

    async getPolicyLimits(input: PolicyRef): Promise<PolicyLimits> {
      return policyLimitsOf(await policyVersion(input));
    },
  };
}

/** What the workflow decides with from a policy version, beside its windows (also part of a dispatch plan). */
export function policyLimitsOf(policy: DeadlinePolicy): PolicyLimits {
  return {
    acceptanceReminderLimit: policy.acceptanceReminderLimit,
    callbackMaxAttempts: policy.callbackMaxAttempts,
    escalationLevels: policy.escalationLevels,
    callbackOnResult: policy.callbackOnResult,
    warningFractions: policy.warningFractions,
    rehandlingCap: policy.rehandlingCap,
    coHandlerMarginHours: policy.coHandlerMarginHours,
    coHandlerWhenShort: policy.coHandlerWhenShort,
    reminderLimits: policy.reminderLimits,
    duplicateWindowDays: policy.duplicateWindowDays,
    cityEscalationUnitId: policy.cityEscalationUnitId,
  };
}
