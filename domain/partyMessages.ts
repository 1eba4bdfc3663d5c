/**
 * What units, coordinators, the center and the governments are told, one function per
 * notification kind: in Chinese, naming the work order number the offices work with (not an
 * internal id), instants in Beijing time, like the requester's messages. Units and districts
 * are named by references the notice's activity fills in with the directory's names (the
 * workflow holds no names: see partyNames.ts). Also the reasons the case keeps for people to
 * read (an escalation's, an accountability record's, a step's), which name units by id. Pure
 * functions, safe in the sandbox.
 */
import type { ReportResultInput } from './appeal.js';
import { beijingTimeText as at, OUTCOME_IN_WORDS, ref, SATISFACTION_IN_WORDS } from './requesterMessages.js';
import { categoryRef, districtRef, unitRef as unit } from './partyNames.js';

type Appeal = { workOrderNo?: string | null; appealId: string };

/** How a case ended, as a closing notice says it: withdrawn, merged, or closed. */
export type CaseEnding = 'withdrawn' | 'merged' | undefined;
const ENDED_AS = { withdrawn: '已撤回', merged: '已并案办理', closed: '已办结' } as const;
const endedAs = (ending: CaseEnding): string => ENDED_AS[ending ?? 'closed'];

export const partyMessages = {
  // Intake and triage (Art. 11-14)
  /** Art. 11: pushed to the government (and the center) at once. */
  stabilityRisk: (appeal: Appeal, place: { categoryCode: string; districtId?: string; streetId?: string }) =>
    `${ref(appeal)} 存在社会稳定风险，请即时关注处置。类别：${categoryRef(place.categoryCode)}；区：${place.districtId ? districtRef(place.districtId) : '未知'}；街道：${place.streetId ? unit(place.streetId) : '未知'}。`,
  consultation: (appeal: Appeal, due: string) => `${ref(appeal)} 需会商确定承办单位，请于 ${at(due)} 前提出会商意见。`,
  consultationOverdue: (appeal: Appeal, due: string) => `${ref(appeal)} 的会商已于 ${at(due)} 到期，请作出会商结论。`,
  dispatched: (appeal: Appeal, acceptBy: string, handleBy: string) =>
    `${ref(appeal)} 已派至你单位，请于 ${at(acceptBy)} 前签收，${at(handleBy)} 前办结。`,
  supervise: (appeal: Appeal, unitId: string) => `${ref(appeal)} 已派至你区的 ${unit(unitId)} 办理，请督办。`,

  // Acceptance and objection (Art. 14, 16)
  acceptanceReminder: (appeal: Appeal, due: string) =>
    `催办：${ref(appeal)} 应于 ${at(due)} 前签收，你单位尚未签收，请立即签收。`,
  objection: (appeal: Appeal, unitId: string, reason: string, due: string) =>
    `${unit(unitId)} 对 ${ref(appeal)} 的派单提出异议：${reason}。请于 ${at(due)} 前审核。`,
  objectionReviewOverdue: (appeal: Appeal, due: string) =>
    `${ref(appeal)} 的派单异议应于 ${at(due)} 前审核，已超时，请尽快审核。`,
  objectionRejected: (appeal: Appeal, reason: string, acceptBy: string) =>
    `你单位对 ${ref(appeal)} 的派单异议未获支持（${reason}），请于 ${at(acceptBy)} 前签收。`,
  objectionGranted: (appeal: Appeal, newUnitId: string) =>
    `你单位对 ${ref(appeal)} 的派单异议已获支持，改派 ${unit(newUnitId)} 办理。`,

  // Handling (Art. 16-22)
  deadlineWarning: (appeal: Appeal, fraction: number, due: string) =>
    `${ref(appeal)} 办理时间已过 ${Math.round(fraction * 100)}%，请于 ${at(due)} 前办结。`,
  redLight: (appeal: Appeal, due: string, extended: boolean) =>
    `亮红灯：${ref(appeal)} 已超过${extended ? '延长后的' : ''}办理时限 ${at(due)}，仍未答复办理结果。`,
  resultReported: (appeal: Appeal, unitId: string, outcome: ReportResultInput['outcome']) =>
    `${ref(appeal)}：${unit(unitId)} 已答复办理结果（${OUTCOME_IN_WORDS[outcome] ?? outcome}），请安排回访。`,
  extensionRequested: (appeal: Appeal, unitId: string, reason: string) =>
    `${ref(appeal)}：${unit(unitId)} 申请延期，理由：${reason}。请审批。`,
  extensionDecided: (appeal: Appeal, approved: boolean, reason: string, handlingDue: string) =>
    `${ref(appeal)} 的延期申请${approved ? '已批准' : '未获批准'}（${reason}），办理时限至 ${at(handlingDue)}。`,
  rehandling: (appeal: Appeal, due: string, reason: string) =>
    `${ref(appeal)} 根据回访需重新办理，办理时限至 ${at(due)}。理由：${reason}`,

  // Co-handlers (Art. 16)
  coHandlerAdded: (appeal: Appeal, task: string, leadUnitId: string, due: string) =>
    `${ref(appeal)} 协办任务：${task}。请于 ${at(due)} 前向 ${unit(leadUnitId)} 报送协办情况。`,
  coHandlerReport: (appeal: Appeal, unitId: string, interim: boolean, report: string) =>
    `${ref(appeal)}：协办单位 ${unit(unitId)} 报送了${interim ? '阶段' : '最终'}协办情况：${report}`,
  coHandlerOverdue: (appeal: Appeal, unitId: string, due: string) =>
    `${ref(appeal)}：协办单位 ${unit(unitId)} 未在 ${at(due)} 前报送协办情况。`,
  coHandlerNoReport: (appeal: Appeal, unitId: string) =>
    `${ref(appeal)}：协办单位 ${unit(unitId)} 在办理时限前未报送协办情况。`,
  /** To the co-handler itself, from its own workflow. */
  coHandlingLate: (appeal: Appeal, due: string) =>
    `你单位在 ${ref(appeal)} 中的协办任务已于 ${at(due)} 到期：请说明延误理由并报送阶段协办情况。`,
  coHandlerCaseEnded: (appeal: Appeal, ending: CaseEnding) =>
    `${ref(appeal)} ${endedAs(ending)}，你单位的协办任务无需继续。`,

  // Whistle (吹哨报到)
  whistle: (appeal: Appeal, leadUnitId: string, reason: string, due: string) =>
    `${unit(leadUnitId)} 就 ${ref(appeal)} 吹哨（${reason}），请于 ${at(due)} 前报到。`,
  reportIn: (appeal: Appeal, unitId: string, note: string) => `${unit(unitId)} 已就 ${ref(appeal)} 报到：${note}`,
  reportInOverdueToDepartment: (appeal: Appeal, due: string) =>
    `${ref(appeal)}：你单位应于 ${at(due)} 前报到，已超时。`,
  reportInOverdueToLead: (appeal: Appeal, unitId: string, due: string) =>
    `${ref(appeal)}：${unit(unitId)} 未在 ${at(due)} 前报到。`,
  whistleCaseEnded: (appeal: Appeal, ending: CaseEnding) => `${ref(appeal)} ${endedAs(ending)}，无需再报到。`,

  // Coordination and escalation (Art. 22)
  coordinationRequested: (appeal: Appeal, leadUnitId: string, reason: string, due: string) =>
    `${ref(appeal)}：${unit(leadUnitId)} 请你单位协调（${reason}），请于 ${at(due)} 前提出协调意见。`,
  coordinationOpinion: (appeal: Appeal, coordinatorId: string, opinion: string) =>
    `${ref(appeal)}：${unit(coordinatorId)} 提出协调意见：${opinion}`,
  /** `due`: cases from before escalations had a window of their own have none. */
  escalation: (appeal: Appeal, level: number, why: string, due?: string) =>
    `${ref(appeal)} 升级至你单位协调（第 ${level} 级）：${why}。请${due ? `于 ${at(due)} 前` : ''}提出协调意见。`,
  coordinationOverdue: (appeal: Appeal, due: string) =>
    `${ref(appeal)}：你单位的协调意见应于 ${at(due)} 前提出，已超时。`,
  coordinationCaseEnded: (appeal: Appeal, ending: CaseEnding) =>
    `${ref(appeal)} ${endedAs(ending)}，无需再提出协调意见。`,

  // Central/military matters (Art. 15)
  forward: (appeal: Appeal) => `${ref(appeal)} 属中央、军队在京单位事项，请转交并登记承办机关。`,
  followUp: (appeal: Appeal, followUps: number, organ: string | undefined) =>
    `${ref(appeal)} 第 ${followUps} 次跟进：${organ ?? '承办机关'}的答复如何？`,

  // Callback (Art. 24) and the close
  callbackAttempt: (appeal: Appeal, attempt: number) => `请回访 ${ref(appeal)} 的诉求人（第 ${attempt} 次）。`,
  leadCaseEnded: (appeal: Appeal, ending: Exclude<CaseEnding, undefined>, reason: string) =>
    `${ref(appeal)} ${endedAs(ending)}：${reason}`,
  /** To the lead at a close after the callback: what the requester answered, or that they were not reached. */
  leadCaseClosed: (appeal: Appeal, callback: { reached?: boolean; satisfaction?: string } | undefined) =>
    `${ref(appeal)} 已办结。${
      callback?.reached && callback.satisfaction
        ? `回访评价：${SATISFACTION_IN_WORDS[callback.satisfaction] ?? callback.satisfaction}。`
        : callback?.reached === false
          ? '回访未能联系到诉求人。'
          : ''
    }`,
  /** To the original's lead: a duplicate joins its case. */
  duplicateMerged: (duplicate: Appeal, original: Appeal, reason: string) =>
    `${ref(duplicate)} 已并入 ${ref(original)} 一并办理：${reason}`,
};

/** The reasons a case keeps for people to read: its escalations, its accountability records, its steps. */
export const caseReasons = {
  notAcceptedAfterReminders: (due: string, reminders: number) => `截至 ${at(due)} 未签收，已催办 ${reminders} 次`,
  notAccepted: (due: string) => `未在 ${at(due)} 前签收`,
  extensionLapsed: '办理结果已报送，延期申请无需审批',
  handlingBreached: (due: string, extended = false) =>
    `${extended ? '延长后的' : ''}办理时限 ${at(due)} 已过，仍未答复办理结果`,
  tierSilent: (level: number, coordinatorId: string, due: string) =>
    `第 ${level} 级（${coordinatorId}）未在 ${at(due)} 前提出协调意见`,
  noOpinion: (what: 'coordination' | 'escalation', due: string) =>
    `未在 ${at(due)} 前提出${what === 'escalation' ? '升级协调' : '协调'}意见`,
  noCoHandlerReport: (due: string) => `未在 ${at(due)} 前报送协办情况`,
  noCoHandlerReportByHandlingDeadline: (due: string) => `办理时限 ${at(due)} 前未报送协办情况`,
  noReportIn: (due: string) => `未在 ${at(due)} 前报到`,
  contactContradicted: (firstContactAt: string) => `已登记于 ${at(firstContactAt)} 首次联系诉求人；诉求人称未被联系`,
  resolvedContradicted: '答复已解决；诉求人称问题未解决',
  stillNoResult: '上一级协调后仍未答复办理结果',
  manualDispatchNeeded: '派单目录未列承办单位且所在区不明：由热线中心选定承办单位',
  redispatchedAfterObjection: '派单异议成立，改派',
};
