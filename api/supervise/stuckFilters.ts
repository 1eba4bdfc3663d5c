/**
 * The README's stuck-case filters ("Finding stuck cases in the Temporal UI") as visibility
 * queries the supervisor page links to. `{…}` marks what the page fills in: a unit, a district,
 * an instant 24 hours ahead. `test/supervise.page.test.ts` checks them against the README.
 */
export interface StuckFilter {
  key: string;
  /** The README's question. */
  question: string;
  /** The page's label. */
  label: string;
  query: string;
}

export const STUCK_FILTERS: readonly StuckFilter[] = [
  {
    key: 'acceptance',
    question: 'dispatched but not accepted in time',
    label: '超时未签收',
    query: 'AppealStage="awaiting_acceptance" AND Overdue=true',
  },
  {
    key: 'objectionReview',
    question: 'objections the center has not reviewed in time',
    label: '异议超时未审核',
    query: 'AppealStage="objection_review" AND Overdue=true',
  },
  {
    key: 'handling',
    question: 'past the handling deadline (called back, escalated)',
    label: '超过办理时限',
    query: 'AppealStage IN ("handling","rehandling","callback") AND Overdue=true',
  },
  {
    key: 'escalated',
    question: 'escalated to a district government or higher',
    label: '已逐级升级',
    query: 'EscalationLevel >= 1 AND ExecutionStatus="Running"',
  },
  {
    key: 'dueSoon',
    question: 'due in the next 24 hours',
    label: '24 小时内到期',
    query: 'DueAt < "{dueBefore}" AND ExecutionStatus="Running"',
  },
  {
    key: 'waitingOnUnit',
    question: 'everything waiting on one unit',
    label: '等待某单位',
    query: 'NextActor="unit:{unitId}" AND ExecutionStatus="Running"',
  },
  {
    key: 'coHandlersLate',
    question: 'co-handlers late with their part',
    label: '协办超时',
    query: 'CoHandlerUnit IS NOT NULL AND Overdue=true',
  },
  {
    key: 'district',
    question: "one district's open cases",
    label: '某区在办',
    query: 'District="{districtId}" AND ExecutionStatus="Running"',
  },
  {
    key: 'center',
    question: 'waiting on the hotline center',
    label: '等待热线中心',
    query: 'NextActor="center" AND ExecutionStatus="Running"',
  },
  {
    key: 'stability',
    question: 'open stability risks',
    label: '在办维稳风险',
    query: 'StabilityRisk=true AND ExecutionStatus="Running"',
  },
];

/** A filter with its placeholders filled in. */
export function fillFilter(query: string, values: Record<string, string>): string {
  return query.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
