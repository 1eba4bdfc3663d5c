/**
 * Patch ids of workflow code changes that running cases must not notice (`patched()`).
 * A patch stays until no open case started before it; then `deprecatePatch()`, then removal.
 * The replay fixtures in `test/fixtures/` are histories from before each change.
 */
export const PATCHES = {
  /** Update handlers answer only once the case record has the step (API read-your-writes). */
  answerAfterRecord: 'answer-after-record',
  /** The unit hears the decision on its objection (granted) and on its extension request, as webhooks. */
  notifyUnitsOfDecisions: 'notify-units-of-decisions',
  /** Intake looks up knowledge-base answers and possible originals for the center's triage. */
  triageHints: 'triage-hints',
  /**
   * Every party's case (escalation with teeth, overdue that stays, callback at the deadline, ...):
   * cases started before it run the frozen process in `appeal/legacy/` to their end.
   */
  everyParty: 'every-party',
  /**
   * The case's database writes (intake, steps, accountability, assessment) run as local
   * activities (in the worker, within the workflow task: no activity task round trip, fewer
   * history events); its reads stay activities (see `writesLocal` in appeal/run.ts). Cases
   * started before keep scheduling the writes as activities.
   */
  localRecords: 'local-records',
  /**
   * The intake gives a work order number (工单编号): the `WorkOrderNo` search attribute is set at
   * once and the requester is told the number. Cases recorded before have none.
   */
  workOrderNumbers: 'work-order-numbers',
  /**
   * A long case (many Updates, a long history) continues as new at a safe point of its handling
   * stage, its state carried (appeal/continuation.ts). Cases started before never do.
   */
  continueAsNew: 'continue-as-new',
  /**
   * Every message the requester is owed reaches them (the callback's outcome, a re-handling), and
   * the center hears a stability-risk push beside the government (Art. 11, 24).
   */
  tellRequesterAndCenter: 'tell-requester-and-center',
  /**
   * A dispatch reads once: the plan brings the policy version's limits, the lead's description
   * and the deadlines from the center's decision, instead of three more activities after it.
   */
  oneReadAtDispatch: 'one-read-at-dispatch',
  /**
   * A lean case: it runs with every change above under this one marker (one history event and
   * one `TemporalChangeVersion` upsert instead of one each per change), counts its later
   * deadlines itself by the rules its dispatch plan brought, records the steps of one workflow
   * task in one local activity, looks up the triage hints in one local activity, and sends what
   * one workflow task says in one notifyAll activity.
   */
  leanCase: 'lean-case',
  /**
   * A lean case that reads its dispatch plan as a local activity (within the workflow task of the
   * center's decision: no activity task, one workflow task fewer per dispatch), its clock held at
   * the instant the read started. Its one marker stands for `lean-case` and every change before.
   */
  localDispatchPlan: 'local-dispatch-plan',
  /**
   * A case that says what one workflow task says in one local activity (`announceNotices`: the
   * log line and the route of each notification, within the task), and schedules an activity
   * (`deliverNotices`, with its retry schedule) only for those with an endpoint to go to. Its
   * one marker stands for `local-dispatch-plan` and every change before.
   */
  localNotices: 'local-notices',
  /**
   * A case that keeps its whole current case in the case record (`appeals.current_case`) at
   * every change, in the write of the steps or, for a change without a step, in a write of its
   * own; the API reads an open case from there (one PostgreSQL read: no query, no replay of an
   * evicted case). Its start answers once that first case is recorded. Its one marker stands for
   * `local-notices` and every change before.
   */
  recordedCase: 'recorded-case',
  /**
   * A case that says its notifications in the write of its steps: what one workflow task
   * changed and said goes in one local activity (`recordMoment`: the steps or the current case,
   * and each notification's log line and route, side by side), where it went in two (the write,
   * `announceNotices`). Its one marker stands for `recorded-case` and every change before.
   */
  noticesWithSteps: 'notices-with-steps',
  /**
   * After an unreached call, the callback attempt stays open to the next answer (a later call
   * within it reached the requester): the answer is taken at once, not when the attempt's window
   * has passed, so the action answers instead of waiting hours. A marker of its own, recorded
   * only where a case takes that path (cases before it took the answer at the next attempt).
   */
  callbackWithinAttempt: 'callback-within-attempt',
  /**
   * An unaccepted order's last reminder of a tier gets its window: the case goes one tier up when
   * that window has passed too, and the unit is reminded at the new tier then (cases before it
   * were escalated at the instant of the tier's last reminder). A marker of its own, recorded
   * where a case first misses an acceptance window.
   */
  reminderWindowBeforeEscalation: 'reminder-window-before-escalation',
  /**
   * A case that closes overdue (its handling deadline passed with no result, then the callback
   * closed it) stays overdue, since when it was: closing does not meet the obligation it missed
   * (cases before it were put back on time at the close). A marker of its own, recorded only where
   * a case closes overdue.
   */
  closedStaysOverdue: 'closed-stays-overdue',
  /**
   * The lead unit is told when its case closes after the callback (`case_closed`, with the
   * requester's answer), as it is told of a withdrawal or a merge (cases before it were not). A
   * marker of its own, recorded where a case with a lead closes that way.
   */
  leadToldOfClose: 'lead-told-of-close',
  /**
   * An extension request still waiting for the center when the result is reported lapses (there
   * is nothing left to extend); cases before it kept it waiting, with no one able to decide it.
   * A marker of its own, recorded where a result meets a waiting request.
   */
  extensionLapsesAtResult: 'extension-lapses-at-result',
  /**
   * A case of no known district that the center dispatches to a unit of a district (a district
   * government, a street, a district department) takes that district: lists, the overview and the
   * `District` search attribute find it there (cases before it kept none). A marker of its own,
   * recorded where a case takes that path.
   */
  districtFromLead: 'district-from-lead',
  /**
   * The co-handlers' workflows hear of the lead's extension request and its decision (or lapse),
   * so that a part past the main deadline waits for the center's decision as the case does, and
   * ends only when the request is denied (cases before it ended the part at the main deadline,
   * even while an extension that would have moved it waited). A marker of its own, recorded
   * where an extension is asked with co-handlers open.
   */
  coHandlersHearOfExtension: 'co-handlers-hear-of-extension',
} as const;

export type PatchId = (typeof PATCHES)[keyof typeof PATCHES];
