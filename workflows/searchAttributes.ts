/**
 * Every search attribute of the project, defined once. The worker's workflows upsert them,
 * and the dev server, the test environments and the compose stack register exactly this
 * list (see `SEARCH_ATTRIBUTES`), so a supervisor's filter in the Web UI means the same
 * thing everywhere.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Stage of the appeal (`triage`, `awaiting_acceptance`, `handling`, … `closed`). */
export const AppealStage = defineSearchAttributeKey('AppealStage', SearchAttributeType.KEYWORD);
/** 工单编号 (`YYYYMMDD-NNNNNN`), set once the intake is recorded: what a requester quotes on the phone. */
export const WorkOrderNo = defineSearchAttributeKey('WorkOrderNo', SearchAttributeType.KEYWORD);
/**
 * One line on what and where (type · category · district/street · channel), never who or the
 * content: set at start, so the Web UI's workflow list can show it as a column (search
 * attributes are stored in clear, unlike the encrypted start summary).
 */
export const AppealSummary = defineSearchAttributeKey('AppealSummary', SearchAttributeType.TEXT);
/** The appeal's own id, also on co-handler child workflows. */
export const AppealId = defineSearchAttributeKey('AppealId', SearchAttributeType.KEYWORD);
export const LeadUnit = defineSearchAttributeKey('LeadUnit', SearchAttributeType.KEYWORD);
/** Set on a co-handler's own child workflow: the unit whose part it tracks. */
export const CoHandlerUnit = defineSearchAttributeKey('CoHandlerUnit', SearchAttributeType.KEYWORD);
export const District = defineSearchAttributeKey('District', SearchAttributeType.KEYWORD);
export const Street = defineSearchAttributeKey('Street', SearchAttributeType.KEYWORD);
export const AppealType = defineSearchAttributeKey('AppealType', SearchAttributeType.KEYWORD);
export const Category = defineSearchAttributeKey('Category', SearchAttributeType.KEYWORD);
/** The next deadline that applies (acceptance, review, handling, callback …). */
export const DueAt = defineSearchAttributeKey('DueAt', SearchAttributeType.DATETIME);
export const Overdue = defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL);
export const EscalationLevel = defineSearchAttributeKey('EscalationLevel', SearchAttributeType.INT);
/** Who must act next: `center`, `unit:<id>`, `coordinator:<id>`, `requester`, or `none`. */
export const NextActor = defineSearchAttributeKey('NextActor', SearchAttributeType.KEYWORD);
/** Flagged at intake as a risk to social stability (pushed to the government at once, Art. 11). */
export const StabilityRisk = defineSearchAttributeKey('StabilityRisk', SearchAttributeType.BOOL);

export const SEARCH_ATTRIBUTES = [
  AppealStage,
  AppealId,
  LeadUnit,
  CoHandlerUnit,
  District,
  Street,
  AppealType,
  Category,
  DueAt,
  Overdue,
  EscalationLevel,
  NextActor,
  StabilityRisk,
  WorkOrderNo,
  AppealSummary,
] as const;
