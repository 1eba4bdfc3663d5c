/**
 * What the requester may read of their own appeal (Art. 7, 9(3)), and nothing else: the stage
 * (also in plain words), the unit in charge (its name), the deadline written on the work order,
 * and the answers the process gave them — the triage answer (a repeat's names its original and
 * where it stands), a forwarding, an extension with its
 * reason, every round's result, the forwarded organ's feedback, their own callback answers and the
 * re-handling each unsatisfied one led to, a withdrawal or a merge. No internal notes, no other party's ids, no contact. Both the status route and
 * Open311's `requests/{id}` answer from here.
 */
import { Type, type Static } from '@sinclair/typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { appealWorkflowId, STAGES, type Stage } from '../domain/appeal.js';
import { beijingTimeText, OUTCOME_IN_WORDS, SATISFACTION_IN_WORDS } from '../domain/requesterMessages.js';
import { caseQuery } from '../workflows/appeal/definitions.js';
import { getHandlingUnit, HOTLINE_CENTER_UNIT_ID } from '../db/queries/reference.js';
import { getAppealRecord, listAuditEventsOfTypes } from '../db/queries/cases.js';
import type { Appeal } from '../db/schema/index.js';
import { HttpError } from './errors.js';
import { Nullable, StringEnum } from './schemaTypes.js';
import { caseFromRecord, caseInRecord, liveCase, type ApiCase } from './routes/v1/cases.js';

/** Each stage as the requester is told it. */
export const STAGE_IN_PLAIN_WORDS: Readonly<Record<Stage, string>> = {
  triage: '热线中心正在研判您的诉求',
  consultation: '有关单位正在会商由谁办理',
  awaiting_acceptance: '已派给承办单位，等待签收',
  objection_review: '承办单位对派单提出异议，热线中心正在审核',
  forwarded: '已转交中央、军队在京有关单位，热线中心跟进中',
  handling: '承办单位正在办理',
  result_reported: '承办单位已答复办理结果',
  callback: '热线中心正在回访您',
  rehandling: '根据回访，正在重新办理',
  closed: '已办结',
};

const CLOSED_AS: Readonly<Record<string, string>> = {
  withdrawn: '已撤回',
  merged: '已并入其他工单一并办理',
};

/** The stage as the requester is told it; a case closed by withdrawal or merge says so. */
export function stageInPlainWords(stage: Stage, disposition: string | null | undefined): string {
  return stage === 'closed' && disposition && disposition in CLOSED_AS
    ? CLOSED_AS[disposition]!
    : STAGE_IN_PLAIN_WORDS[stage];
}

export const ANSWER_KINDS = [
  'triage_answer',
  'forwarded',
  'extension',
  'result',
  'forwarding_feedback',
  'callback',
  'rehandling',
  'withdrawn',
  'merged',
] as const;

export const RequesterStatusSchema = Type.Object(
  {
    appealId: Type.String(),
    workOrderNo: Nullable(Type.String(), { description: '工单编号, once given' }),
    receivedAt: Type.String({ description: 'When the appeal was recorded' }),
    stage: StringEnum(STAGES),
    stageText: Type.String({ description: 'The stage in plain words, as the requester is told it' }),
    closed: Type.Boolean(),
    unitInCharge: Nullable(Type.Object({ name: Type.String() }), {
      description:
        'Who deals with the appeal now: the hotline center, the handling unit, or the organ it was forwarded to',
    }),
    deadline: Nullable(Type.String(), {
      description:
        'The handling deadline written on the work order (extended when an extension was granted); null before dispatch and once closed',
    }),
    answers: Type.Array(
      Type.Object({
        kind: StringEnum(ANSWER_KINDS),
        at: Nullable(Type.String()),
        text: Type.String(),
      }),
      { description: 'What the process told the requester, oldest first' },
    ),
  },
  { description: "The requester's view of their appeal" },
);
export type RequesterStatus = Static<typeof RequesterStatusSchema>;
export type Answer = RequesterStatus['answers'][number];

/** The instant of the first timeline entry of `type` (the workflow's record of the step). */
const when = (c: Pick<ApiCase, 'timeline'>, test: (type: string) => boolean): string | null =>
  c.timeline.find((e) => test(e.type))?.at ?? null;
/** The instant of the last such entry: a step a re-handling round takes again (the callback). */
const lastWhen = (c: Pick<ApiCase, 'timeline'>, test: (type: string) => boolean): string | null =>
  [...c.timeline].reverse().find((e) => test(e.type))?.at ?? null;

/** The stages whose plain words address the requester, said of another requester's appeal. */
const OF_ANOTHER_REQUESTER: Readonly<Partial<Record<Stage, string>>> = {
  triage: '热线中心正在研判',
  callback: '热线中心正在回访诉求人',
};

/**
 * Where the original a repeat or merged appeal follows stands now: its stage in words and, once
 * reported, its outcome (not the unit's text: that answered another requester).
 */
function whereOriginalStands(original: Appeal): string {
  const stage = original.stage as Stage;
  const outcome = OUTCOME_IN_WORDS[(original.result as { outcome?: string } | null)?.outcome ?? ''];
  const words = OF_ANOTHER_REQUESTER[stage] ?? stageInPlainWords(stage, original.disposition);
  return `该工单目前：${words}${outcome ? `（${outcome}）` : ''}`;
}

/** Art. 12: a repeat names the original the requester follows and where it stands now. */
function repeatAnswer(answer: string, original: Appeal | undefined): string {
  if (!original) return answer;
  return `您的诉求与工单 ${original.workOrderNo ?? original.id} 为重复诉求，${whereOriginalStands(original)}。答复：${answer}`;
}

/** A callback answer or a re-handling order, as the audit trail keeps it. */
type CallbackRound = Awaited<ReturnType<typeof listAuditEventsOfTypes>>[number];

/** The answers the case gave its requester, oldest first. */
function answersOf(c: ApiCase, row: Appeal, original: Appeal | undefined, rounds: CallbackRound[]): Answer[] {
  const answers: Answer[] = [];
  const closingDisposition = c.answer !== undefined && c.disposition && !(c.disposition in CLOSED_AS);
  if (closingDisposition)
    answers.push({
      kind: 'triage_answer',
      at: when(c, (t) => t === `triage_${c.disposition}`),
      text: c.disposition === 'repeat' ? repeatAnswer(c.answer!, original) : c.answer!,
    });
  const fwd = c.forwarding;
  if (fwd?.organ)
    answers.push({ kind: 'forwarded', at: fwd.forwardedAt ?? null, text: `已转至${fwd.organ}办理，热线中心跟进。` });
  // Every extension granted, the earlier ones too (a later request or a re-handling round set them aside).
  for (const extension of [...(c.earlierExtensions ?? []), ...(c.extension ? [c.extension] : [])]) {
    if (extension.status !== 'approved') continue;
    // A case from before `extendedTo` was kept: the current extension set the current deadline.
    const until = extension.extendedTo ?? (extension === c.extension ? c.deadlines.handling : undefined);
    answers.push({
      kind: 'extension',
      at: extension.decidedAt ?? null,
      text: `${until ? `办理时限延长至 ${beijingTimeText(until)}` : '办理时限已延长'}。理由：${extension.reason}`,
    });
  }
  // Every round's result: a re-handling set the earlier ones aside, and the requester was told each.
  for (const result of [...(c.earlierResults ?? []), ...(c.result ? [c.result] : [])])
    answers.push({
      kind: 'result',
      at: result.at,
      text: `${OUTCOME_IN_WORDS[result.outcome] ?? ''}：${result.summary}`,
    });
  if (fwd?.feedback) answers.push({ kind: 'forwarding_feedback', at: fwd.feedbackAt ?? null, text: fwd.feedback });
  const callbackText = (satisfaction: string) =>
    `回访已完成，您的评价：${SATISFACTION_IN_WORDS[satisfaction] ?? satisfaction}。`;
  // Every round's callback answer and the re-handling it led to, as the audit trail keeps them.
  for (const step of rounds) {
    const satisfaction = step.payload.satisfaction;
    if (step.type === 'callback_answered' && typeof satisfaction === 'string')
      answers.push({ kind: 'callback', at: step.at.toISOString(), text: callbackText(satisfaction) });
  }
  rounds
    .filter((step) => step.type === 'rehandling_ordered')
    .forEach((step, i) => {
      const until = c.deadlines[`rehandling${i + 1}`];
      answers.push({
        kind: 'rehandling',
        at: step.at.toISOString(),
        text: `根据您的回访意见，您的诉求将重新办理${until ? `，办理时限至 ${beijingTimeText(until)}` : ''}。`,
      });
    });
  // A case whose trail lacks the answer (recorded before its steps were kept): the case's own.
  if (!answers.some((a) => a.kind === 'callback') && c.callback?.reached && c.callback.satisfaction)
    answers.push({
      kind: 'callback',
      at: lastWhen(c, (t) => t === 'callback_answered'),
      text: callbackText(c.callback.satisfaction),
    });
  if (c.disposition === 'withdrawn')
    answers.push({ kind: 'withdrawn', at: row.closedAt?.toISOString() ?? null, text: '您的诉求已撤回。' });
  if (c.disposition === 'merged' && c.originalAppealId) {
    answers.push({
      kind: 'merged',
      at: row.closedAt?.toISOString() ?? null,
      // The original's progress is this requester's too: where it stands, as for a repeat.
      text: `您的诉求已并入工单 ${original?.workOrderNo ?? c.originalAppealId} 一并办理${original ? `，${whereOriginalStands(original)}` : ''}。`,
    });
  }
  return answers.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

/**
 * The name of whoever deals with the appeal: the organ a central/military matter was forwarded
 * to (through its callback too), the lead of the original a merged or repeat appeal follows, or the lead.
 */
async function unitInCharge(
  app: FastifyInstance,
  c: ApiCase,
  original: Appeal | undefined,
): Promise<{ name: string } | null> {
  if (c.forwarding?.organ) return { name: c.forwarding.organ };
  const unitId = original?.leadUnitId ?? c.leadUnitId ?? HOTLINE_CENTER_UNIT_ID;
  const unit = await getHandlingUnit(app.db, unitId);
  return unit ? { name: unit.name } : null;
}

/** The requester's view of the case `c` (as the workflow or the record holds it) recorded as `row`. */
export async function requesterStatus(app: FastifyInstance, c: ApiCase, row: Appeal): Promise<RequesterStatus> {
  // A merged or repeat appeal's original, read once: who handles it now, the number the requester
  // is told, and (a repeat) where it stands.
  const original =
    (c.disposition === 'merged' || c.disposition === 'repeat') && c.originalAppealId
      ? ((await getAppealRecord(app.db, c.originalAppealId)) ?? undefined)
      : undefined;
  const stage = c.stage as Stage;
  const closed = stage === 'closed';
  return {
    appealId: row.id,
    workOrderNo: row.workOrderNo ?? null,
    receivedAt: row.receivedAt.toISOString(),
    stage,
    stageText: stageInPlainWords(stage, c.disposition),
    closed,
    unitInCharge: await unitInCharge(app, c, original),
    deadline: closed ? null : (c.deadlines.handling ?? null),
    answers: answersOf(
      c,
      row,
      original,
      await listAuditEventsOfTypes(app.db, row.id, ['callback_answered', 'rehandling_ordered']),
    ),
  };
}

/**
 * The case of a recorded appeal as it stands: as its workflow wrote it to the record, else (a
 * running case that keeps none) by query, else from the record (the workflow's history is gone).
 */
export async function currentCase(app: FastifyInstance, row: Appeal): Promise<ApiCase> {
  const written = caseInRecord(row);
  if (written) return written;
  const deadline = Date.now() + app.config.WORKFLOW_TIMEOUT_MS;
  try {
    const handle = app.temporal.workflow.getHandle(appealWorkflowId(row.id));
    return liveCase(await app.temporal.withDeadline(deadline, () => handle.query(caseQuery)));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return caseFromRecord(app, row);
    if (Date.now() >= deadline) throw new HttpError(503, 'the appeal did not answer in time; retry later');
    throw error;
  }
}
