/**
 * What the requester is told (Art. 9(3), 17(2), 24), in the requester's language, naming the
 * work order number they quote on the phone rather than an internal id, and instants in Beijing
 * time. The workflow and the activities say them alike; pure functions, safe in the sandbox.
 */
import type { ReportResultInput, Satisfaction } from './appeal.js';

/**
 * How every party names the appeal: its work order number, or (a case from before numbers) its id.
 * The parties' messages (partyMessages.ts) say it alike.
 */
export const ref = (appeal: { workOrderNo?: string | null; appealId: string }): string =>
  `工单 ${appeal.workOrderNo ?? appeal.appealId}`;

/** An instant as `2026-12-08 16:00（北京时间）`. */
export function beijingTimeText(iso: string): string {
  const at = new Date(Date.parse(iso) + 8 * 3_600_000).toISOString();
  return `${at.slice(0, 10)} ${at.slice(11, 16)}（北京时间）`;
}

export const SATISFACTION_IN_WORDS: Readonly<Record<Satisfaction, string> & Record<string, string | undefined>> = {
  satisfied: '满意',
  basically_satisfied: '基本满意',
  unsatisfied: '不满意',
};

/** A result's outcome (Art. 24: resolved; explained with reason; cannot be resolved, with reason) in words. */
export const OUTCOME_IN_WORDS: Readonly<
  Record<ReportResultInput['outcome'], string> & Record<string, string | undefined>
> = {
  resolved: '已解决',
  explained: '已解释说明',
  unresolvable: '暂无法解决',
};

type Appeal = { workOrderNo?: string | null; appealId: string };

export const requesterMessages = {
  /** At intake: the number to quote. */
  received: (workOrderNo: string) => `您的诉求已受理，工单编号 ${workOrderNo}，查询办理情况时请提供此编号。`,
  forwarded: (appeal: Appeal, organ: string) => `您的诉求（${ref(appeal)}）已转至${organ}办理，热线中心将跟进。`,
  extended: (appeal: Appeal, until: string, reason: string) =>
    `您的诉求（${ref(appeal)}）办理时限延长至 ${beijingTimeText(until)}。理由：${reason}`,
  /** Cases from before denials went unsaid: the deadline stays. */
  extensionDenied: (appeal: Appeal) => `您的诉求（${ref(appeal)}）办理时限不变。`,
  callbackAnswered: (appeal: Appeal, satisfaction: Satisfaction | undefined) =>
    `感谢您的评价：${ref(appeal)} 的回访已记录（${satisfaction ? SATISFACTION_IN_WORDS[satisfaction] : '未评价'}）。`,
  callbackUnreachable: (appeal: Appeal) => `热线中心未能联系到您进行回访，${ref(appeal)} 已办结。`,
  rehandling: (appeal: Appeal, until: string) =>
    `根据您的回访意见，您的诉求（${ref(appeal)}）将重新办理，办理时限至 ${beijingTimeText(until)}。`,
  /** Merged into an original: the original's number when known (cases merged before it was looked up say none). */
  merged: (appeal: Appeal, originalWorkOrderNo?: string) =>
    `您的诉求（${ref(appeal)}）已与${originalWorkOrderNo ? `工单 ${originalWorkOrderNo} 的` : ''}相同诉求并案办理，凭本工单编号可查询办理情况。`,
  withdrawn: (appeal: Appeal) => `您的诉求（${ref(appeal)}）已撤回。`,
  /** The center's answer at triage, the unit's result, the organ's feedback: their text, under the number. */
  answer: (appeal: Appeal, text: string) => `您的诉求（${ref(appeal)}）答复：${text}`,
  /** Art. 12: a repeat names the original to follow; its progress shows under this number's status. */
  repeat: (appeal: Appeal, originalWorkOrderNo: string, text: string) =>
    `您的诉求（${ref(appeal)}）与工单 ${originalWorkOrderNo} 为重复诉求，不再另行办理，凭本工单编号可查询工单 ${originalWorkOrderNo} 的办理情况。答复：${text}`,
  /** A unit's result says its outcome first, as the status route does; the organ's feedback has none. */
  result: (appeal: Appeal, text: string, outcome?: string) =>
    `您的诉求（${ref(appeal)}）办理结果：${outcome ? `${OUTCOME_IN_WORDS[outcome] ?? outcome}：` : ''}${text}`,
};
