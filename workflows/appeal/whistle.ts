/**
 * Art. 18, 街乡吹哨、部门报到: a street or township lead summons departments, which must report in
 * within the policy's window; a late report-in is recorded against the department.
 */
import { actionForbidden, actionNotAllowed, invalidAction } from '../../domain/errors.js';
import { caseReasons, partyMessages, type CaseEnding } from '../../domain/partyMessages.js';
import { describeParty, type AppealCase } from './definitions.js';
import { onAction } from './rules.js';
import type { AppealRun } from './run.js';

type Department = NonNullable<AppealCase['whistle']>['departments'][number];

export function registerWhistleActions(run: AppealRun): void {
  const s = run.state;
  onAction(run, 'blowWhistle', {
    validate: (input) => {
      if (s.leadUnitKind !== 'street' && s.leadUnitKind !== 'township')
        throw actionForbidden(
          'blowWhistle',
          s.stage,
          describeParty(input.by),
          'only a street or township lead blows the whistle (Art. 18)',
        );
      if (!input.reason?.trim()) throw invalidAction('blowWhistle', s.stage, 'reason is required');
      if (!input.departmentIds?.length)
        throw invalidAction('blowWhistle', s.stage, 'departmentIds must name at least one department');
      if (s.whistle?.departments.some((x) => x.status === 'open' || x.status === 'late'))
        throw actionNotAllowed('blowWhistle', s.stage, 'summoned departments have not all reported in');
    },
    apply: async (input) => {
      const at = run.now();
      const before = s.whistle;
      // The earlier whistle stays in the case as it stood: its reason, its departments' report-ins.
      const earlier = before
        ? [
            ...(before.earlier ?? []),
            {
              reason: before.reason,
              ...(before.blownAt ? { blownAt: before.blownAt } : {}),
              departments: before.departments.map((x) => ({ ...x })),
            },
          ]
        : undefined;
      // A later whistle adds to the departments summoned before (they stay parties of the case).
      const summoned = before?.departments ?? [];
      const departments: Department[] = [...new Set(input.departmentIds)].map((unitId) => {
        const again = summoned.find((x) => x.unitId === unitId);
        if (!again) return { unitId, status: 'open', dueAt: '' };
        delete again.reportedAt;
        delete again.note;
        return Object.assign(again, { status: 'open' as const, dueAt: '' });
      });
      s.whistle = {
        reason: input.reason,
        blownAt: at,
        departments: [...summoned.filter((x) => !departments.includes(x)), ...departments],
        ...(earlier ? { earlier } : {}),
      };
      const dueAt = await run.deadline(at, 'whistleReportIn');
      for (const dept of departments) {
        dept.dueAt = dueAt;
        run.notify(`unit:${dept.unitId}`, 'whistle', partyMessages.whistle(s, s.leadUnitId!, input.reason, dueAt));
      }
      run.step('whistle', describeParty(input.by), {
        at,
        reason: input.reason,
        payload: { departmentIds: departments.map((x) => x.unitId), dueAt },
      });
      for (const dept of departments) run.alongsideOf(() => awaitReportIn(run, dept));
    },
  });

  onAction(run, 'reportIn', {
    validate: (input) => {
      if (!input.note?.trim()) throw invalidAction('reportIn', s.stage, 'note is required');
      const dept = s.whistle?.departments.find((x) => x.unitId === (input.by as { unitId: string }).unitId);
      if (dept && dept.status !== 'open' && dept.status !== 'late')
        throw actionNotAllowed('reportIn', s.stage, 'already reported in');
    },
    apply: (input) => {
      const dept = s.whistle!.departments.find((x) => x.unitId === (input.by as { unitId: string }).unitId)!;
      dept.status = 'done';
      dept.reportedAt = run.now();
      dept.note = input.note;
      run.notify(`unit:${s.leadUnitId}`, 'report_in', partyMessages.reportIn(s, dept.unitId, input.note));
      run.step('report_in', describeParty(input.by), { reason: input.note });
    },
  });
}

async function awaitReportIn(run: AppealRun, dept: Department): Promise<void> {
  const s = run.state;
  if (await run.waitUntil(() => dept.status !== 'open', dept.dueAt)) return;
  if (dept.status !== 'open') return;
  dept.status = 'late';
  run.notify(`unit:${dept.unitId}`, 'report_in_overdue', partyMessages.reportInOverdueToDepartment(s, dept.dueAt));
  run.notify(
    `unit:${s.leadUnitId}`,
    'report_in_overdue',
    partyMessages.reportInOverdueToLead(s, dept.unitId, dept.dueAt),
  );
  const key = run.step('report_in_overdue', 'center', { payload: { unitId: dept.unitId, dueAt: dept.dueAt } });
  run.accountability(dept.unitId, 'late_report_in', caseReasons.noReportIn(dept.dueAt), key);
}

/** At the close: summoned departments still open are told and their part ends. */
export function endWhistle(run: AppealRun, ending: CaseEnding): void {
  const s = run.state;
  for (const dept of s.whistle?.departments ?? []) {
    if (dept.status !== 'open' && dept.status !== 'late') continue;
    dept.status = 'ended';
    run.notify(`unit:${dept.unitId}`, 'case_ended', partyMessages.whistleCaseEnded(s, ending));
  }
}
