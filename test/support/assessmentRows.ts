import { appeals, assessments, type NewAssessment } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/client.js';

export type Answer = 'satisfied' | 'basically_satisfied' | 'unsatisfied';
export interface AssessmentSpec {
  unit: string;
  /** closed_at, an instant. */
  at: string;
  /** [contacted, resolved, satisfaction] of a valid callback; 'invalid' for a callback not valid. */
  answers: [boolean, boolean, Answer] | 'invalid';
  exempt?: boolean;
}

let seq = 0;
/** Writes a closed appeal and its lead's assessment row per spec, as the close would; the appeal ids. */
export async function insertAssessments(db: DbOrTx, prefix: string, specs: AssessmentSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of specs) {
    const id = `${prefix}-${++seq}`;
    ids.push(id);
    const closedAt = new Date(s.at);
    await db.insert(appeals).values({
      id,
      workflowId: `appeal-${id}`,
      channel: 'phone',
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      content: '测试',
      stage: 'closed',
      receivedAt: new Date(closedAt.getTime() - 86_400_000),
      closedAt,
    });
    const answers = s.answers === 'invalid' ? null : s.answers;
    const row: NewAssessment = {
      appealId: id,
      unitId: s.unit,
      role: 'lead',
      responded: true,
      callbackValid: answers !== null,
      contacted: answers ? answers[0] : null,
      resolved: answers ? answers[1] : null,
      satisfaction: answers ? answers[2] : null,
      exempt: s.exempt ?? false,
      exemptReason: s.exempt ? 'exemption granted: 不可抗力' : null,
      closedAt,
    };
    await db.insert(assessments).values(row);
  }
  return ids;
}
