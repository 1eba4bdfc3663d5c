/**
 * Every action a party may take on a running appeal, as an Update with a validator.
 * A validator refuses an action that the stage (or the open sub-matter) does not allow, or
 * that this party may not take, before anything enters history. Handlers only change state
 * and record the step; the process in workflow.ts reacts to the change.
 */
import * as wf from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { actionForbidden, actionNotAllowed, invalidAction } from '../../../domain/errors.js';
import * as d from '../definitions.js';
import type { AppealRun } from './run.js';
import { PATCHES } from '../../patches.js';

type Check = (run: AppealRun, input: { by: d.Party }) => void;

const OPEN_FOR_MERGE: d.Stage[] = ['triage', 'awaiting_acceptance', 'handling'];

function stageIn(action: string, ...stages: d.Stage[]): Check {
  return (run) => {
    if (!stages.includes(run.state.stage))
      throw actionNotAllowed(action, run.state.stage, `allowed in ${stages.join(', ')}`);
  };
}

function role(action: string, ...roles: d.Party['role'][]): Check {
  return (run, { by }) => {
    if (!roles.includes(by.role))
      throw actionForbidden(action, run.state.stage, d.describeParty(by), `only ${roles.join(' or ')} may do this`);
  };
}

function leadUnit(action: string): Check {
  return (run, { by }) => {
    if (by.role !== 'unit' || by.unitId !== run.state.leadUnitId) {
      throw actionForbidden(
        action,
        run.state.stage,
        d.describeParty(by),
        `only the lead unit ${run.state.leadUnitId ?? '(none)'} may do this`,
      );
    }
  };
}

/** What handlers hand to the process: set by an accepted action, consumed by workflow.ts. */
export interface Inbox {
  triage?: d.TriageInput;
  consultationLead?: d.ConcludeConsultationInput;
  accepted?: d.AcceptInput;
  objection?: d.ObjectInput;
  objectionDecision?: d.DecideObjectionInput;
  extensionDecision?: d.DecideExtensionInput;
  result?: d.ReportResultInput;
  callbackAnswer?: d.CallbackAnswerInput;
  rehandling?: d.OrderRehandlingInput;
  /** New co-handlers for the process to start as child workflows. */
  coHandlersToStart: d.AddCoHandlerInput[];
  coHandlerReports: Map<string, d.CoHandlerReportInput>;
}

/**
 * When the process has acted on an accepted action: the Update answers only then, so its
 * caller gets the case as the action left it (dispatched, with deadlines; in callback; …).
 * Actions the process does not react to answer at once.
 */
function processedWhen(inbox: Inbox, s: d.AppealCase): Partial<Record<string, () => boolean>> {
  return {
    triageAppeal: () => inbox.triage === undefined,
    concludeConsultation: () => inbox.consultationLead === undefined,
    acceptDispatch: () => inbox.accepted === undefined,
    objectToDispatch: () => inbox.objection === undefined,
    decideObjection: () => inbox.objectionDecision === undefined,
    addCoHandler: () => inbox.coHandlersToStart.length === 0,
    reportCoHandlerPart: () => inbox.coHandlerReports.size === 0,
    blowWhistle: () => s.whistle?.departments.every((x) => x.dueAt !== '') ?? true,
    requestCoordination: () => s.coordination?.dueAt !== '',
    decideExtension: () => inbox.extensionDecision === undefined,
    reportResult: () => inbox.result === undefined,
    recordCallback: () => inbox.callbackAnswer === undefined,
    orderRehandling: () => inbox.rehandling === undefined,
    withdrawAppeal: () => false,
    mergeAppeal: () => false,
  };
}

export function registerHandlers(run: AppealRun, inbox: Inbox): void {
  const s = run.state;
  wf.setHandler(d.caseQuery, run.snapshot);
  const processed = processedWhen(inbox, s);

  /** Registers one Update: its checks run in the validator, the change in the handler. */
  function on<I extends { by: d.Party }>(
    _run: AppealRun,
    update: UpdateDefinition<d.AppealCase, [I]>,
    checks: Check[],
    apply: (input: I) => void,
    extra?: (input: I) => void,
  ): void {
    const done = processed[update.name];
    wf.setHandler(
      update,
      async (input: I) => {
        apply(input);
        if (wf.patched(PATCHES.answerAfterRecord)) {
          // Answer once the process has acted on it and the case record shows it (read-your-writes for callers).
          await wf.condition(() => (!done || (done() && run.waiting) || s.stage === 'closed') && run.recorded);
        } else if (done) await wf.condition(() => (done() && run.waiting) || s.stage === 'closed');
        return run.snapshot();
      },
      {
        validator: (input: I) => {
          if (!input || typeof input !== 'object' || !input.by)
            throw invalidAction(update.name, s.stage, 'the acting party (by) is missing');
          for (const check of checks) check(run, input);
          extra?.(input);
        },
      },
    );
  }

  on(
    run,
    d.triageAppealUpdate,
    [stageIn('triageAppeal', 'triage'), role('triageAppeal', 'center')],
    (input) => {
      inbox.triage = input;
    },
    (input) => {
      if (input.disposition !== 'dispatch') {
        if (!input.reason || !input.answer)
          throw invalidAction(
            'triageAppeal',
            s.stage,
            'a closing disposition needs a reason and an answer to the requester',
          );
        if (input.disposition === 'emergency_transfer' && !input.emergencyNumber)
          throw invalidAction('triageAppeal', s.stage, 'emergencyNumber (110/119/120/122) is required');
        if (input.disposition === 'legal_channel' && !input.legalChannel)
          throw invalidAction('triageAppeal', s.stage, 'legalChannel is required');
        if (input.disposition === 'repeat' && !input.originalAppealId)
          throw invalidAction('triageAppeal', s.stage, 'originalAppealId is required');
      }
    },
  );

  on(
    run,
    d.giveConsultationOpinionUpdate,
    [stageIn('giveConsultationOpinion', 'consultation')],
    (input) => {
      const unitId = (input.by as { unitId: string }).unitId;
      s.consultation?.opinions.push({ unitId, opinion: input.opinion });
      run.step('consultation_opinion', d.describeParty(input.by), {
        reason: input.opinion,
        payload: { proposedLeadUnitId: input.proposedLeadUnitId },
      });
    },
    (input) => {
      if (input.by.role !== 'unit' || !s.consultation?.candidateUnitIds.includes(input.by.unitId)) {
        throw actionForbidden(
          'giveConsultationOpinion',
          s.stage,
          d.describeParty(input.by),
          'only candidate units of the consultation give opinions',
        );
      }
    },
  );

  on(
    run,
    d.concludeConsultationUpdate,
    [stageIn('concludeConsultation', 'consultation'), role('concludeConsultation', 'center')],
    (input) => {
      inbox.consultationLead = input;
    },
  );

  const dispatchedUnit =
    (action: string): Check =>
    (r, { by }) => {
      if (by.role !== 'unit' || by.unitId !== r.state.leadUnitId) {
        throw actionForbidden(
          action,
          r.state.stage,
          d.describeParty(by),
          `only the dispatched unit ${r.state.leadUnitId ?? '(none)'} may do this`,
        );
      }
    };
  on(
    run,
    d.acceptDispatchUpdate,
    [stageIn('acceptDispatch', 'awaiting_acceptance'), dispatchedUnit('acceptDispatch')],
    (input) => {
      inbox.accepted = input;
    },
  );
  on(
    run,
    d.objectToDispatchUpdate,
    [stageIn('objectToDispatch', 'awaiting_acceptance'), dispatchedUnit('objectToDispatch')],
    (input) => {
      inbox.objection = input;
    },
    (input) => {
      if (!input.reason?.trim())
        throw invalidAction('objectToDispatch', s.stage, 'a dispatch objection needs its reasons (Art. 14)');
    },
  );
  on(
    run,
    d.decideObjectionUpdate,
    [stageIn('decideObjection', 'objection_review'), role('decideObjection', 'center')],
    (input) => {
      inbox.objectionDecision = input;
    },
    (input) => {
      if (input.decision === 'redispatch' && !input.newUnitId)
        throw invalidAction('decideObjection', s.stage, 'newUnitId is required to re-dispatch');
      if (input.decision === 'redispatch' && input.newUnitId === s.leadUnitId)
        throw invalidAction('decideObjection', s.stage, 'newUnitId is the unit that objected');
    },
  );

  on(
    run,
    d.recordFirstContactUpdate,
    [stageIn('recordFirstContact', 'handling', 'rehandling'), leadUnit('recordFirstContact')],
    (input) => {
      if (!s.firstContactAt) s.firstContactAt = run.now();
      run.step('first_contact', d.describeParty(input.by), { reason: input.note });
    },
  );

  on(
    run,
    d.addCoHandlerUpdate,
    [stageIn('addCoHandler', 'handling', 'rehandling'), leadUnit('addCoHandler')],
    (input) => {
      inbox.coHandlersToStart.push(input);
    },
    (input) => {
      if (input.unitId === s.leadUnitId)
        throw invalidAction('addCoHandler', s.stage, 'the lead unit cannot be its own co-handler');
      if (
        s.coHandlers.some((c) => c.unitId === input.unitId) ||
        inbox.coHandlersToStart.some((c) => c.unitId === input.unitId)
      ) {
        throw actionNotAllowed('addCoHandler', s.stage, `${input.unitId} is already a co-handler`);
      }
    },
  );
  on(
    run,
    d.reportCoHandlerPartUpdate,
    [stageIn('reportCoHandlerPart', 'handling', 'rehandling')],
    (input) => {
      const unitId = (input.by as { unitId: string }).unitId;
      inbox.coHandlerReports.set(unitId, input);
      run.step('co_handler_report', d.describeParty(input.by), {
        reason: input.lateReason,
        payload: { report: input.report, interim: input.interim ?? false },
      });
    },
    (input) => {
      const co =
        input.by.role === 'unit'
          ? s.coHandlers.find((c) => c.unitId === (input.by as { unitId: string }).unitId)
          : undefined;
      if (!co)
        throw actionForbidden(
          'reportCoHandlerPart',
          s.stage,
          d.describeParty(input.by),
          'only a co-handling unit of this case reports its part',
        );
      if (co.status === 'done')
        throw actionNotAllowed('reportCoHandlerPart', s.stage, 'this co-handler has already reported');
      if (co.status === 'late' && !input.lateReason?.trim())
        throw invalidAction(
          'reportCoHandlerPart',
          s.stage,
          'the co-handler deadline has passed: lateReason is required (Art. 16)',
        );
    },
  );

  on(
    run,
    d.blowWhistleUpdate,
    [stageIn('blowWhistle', 'handling', 'rehandling'), leadUnit('blowWhistle')],
    (input) => {
      s.whistle = {
        reason: input.reason,
        departments: input.departmentIds.map((unitId) => ({ unitId, status: 'open', dueAt: '' })),
      };
      run.step('whistle', d.describeParty(input.by), {
        reason: input.reason,
        payload: { departmentIds: input.departmentIds },
      });
    },
    (input) => {
      if (!run.leadIsStreet)
        throw actionForbidden(
          'blowWhistle',
          s.stage,
          d.describeParty(input.by),
          'only a street or township lead blows the whistle (Art. 18)',
        );
      if (!input.departmentIds?.length)
        throw invalidAction('blowWhistle', s.stage, 'departmentIds must name at least one department');
      if (s.whistle?.departments.some((x) => x.status !== 'done'))
        throw actionNotAllowed('blowWhistle', s.stage, 'summoned departments have not all reported in');
    },
  );
  on(
    run,
    d.reportInUpdate,
    [stageIn('reportIn', 'handling', 'rehandling')],
    (input) => {
      const dept = s.whistle!.departments.find((x) => x.unitId === (input.by as { unitId: string }).unitId)!;
      dept.status = 'done';
      run.step('report_in', d.describeParty(input.by), { reason: input.note });
    },
    (input) => {
      const dept =
        input.by.role === 'unit'
          ? s.whistle?.departments.find((x) => x.unitId === (input.by as { unitId: string }).unitId)
          : undefined;
      if (!dept)
        throw actionForbidden('reportIn', s.stage, d.describeParty(input.by), 'only a summoned department reports in');
      if (dept.status === 'done') throw actionNotAllowed('reportIn', s.stage, 'already reported in');
    },
  );

  on(
    run,
    d.requestExtensionUpdate,
    [stageIn('requestExtension', 'handling', 'rehandling'), leadUnit('requestExtension')],
    (input) => {
      s.extension = { status: 'requested', reason: input.reason, requestedAt: run.now() };
      run.step('extension_requested', d.describeParty(input.by), { reason: input.reason });
    },
    (input) => {
      if (!input.reason?.trim())
        throw invalidAction('requestExtension', s.stage, 'an extension needs a reason (Art. 17)');
      const due = s.deadlines.handling;
      if (due && Date.now() >= Date.parse(due))
        throw actionNotAllowed(
          'requestExtension',
          s.stage,
          `the handling deadline ${due} has passed: an extension is asked only before it`,
        );
      if (s.extension?.status === 'requested')
        throw actionNotAllowed('requestExtension', s.stage, 'an extension request is already waiting for the center');
    },
  );
  on(
    run,
    d.decideExtensionUpdate,
    [stageIn('decideExtension', 'handling', 'rehandling'), role('decideExtension', 'center')],
    (input) => {
      inbox.extensionDecision = input;
    },
    () => {
      if (s.extension?.status !== 'requested')
        throw actionNotAllowed('decideExtension', s.stage, 'no extension request is waiting');
    },
  );

  on(
    run,
    d.requestCoordinationUpdate,
    [stageIn('requestCoordination', 'handling', 'rehandling'), leadUnit('requestCoordination')],
    (input) => {
      s.coordination = { coordinatorId: input.coordinatorId, status: 'requested', reason: input.reason, dueAt: '' };
      run.step('coordination_requested', d.describeParty(input.by), {
        reason: input.reason,
        payload: { coordinatorId: input.coordinatorId },
      });
    },
    () => {
      if (s.coordination?.status === 'requested' || s.coordination?.status === 'late')
        throw actionNotAllowed('requestCoordination', s.stage, 'a coordination request is already open');
    },
  );
  on(
    run,
    d.giveCoordinationOpinionUpdate,
    [stageIn('giveCoordinationOpinion', 'handling', 'rehandling')],
    (input) => {
      s.coordination!.status = 'answered';
      s.coordination!.opinion = input.opinion;
      run.step('coordination_opinion', d.describeParty(input.by), { reason: input.opinion });
    },
    (input) => {
      const c = s.coordination;
      if (!c || c.status === 'answered')
        throw actionNotAllowed('giveCoordinationOpinion', s.stage, 'no coordination request is open');
      if (input.by.role !== 'coordinator' || input.by.unitId !== c.coordinatorId) {
        throw actionForbidden(
          'giveCoordinationOpinion',
          s.stage,
          d.describeParty(input.by),
          `only the coordinator ${c.coordinatorId} answers`,
        );
      }
    },
  );

  on(
    run,
    d.reportResultUpdate,
    [stageIn('reportResult', 'handling', 'rehandling'), leadUnit('reportResult')],
    (input) => {
      inbox.result = input;
    },
    (input) => {
      if (!['resolved', 'explained', 'unresolvable'].includes(input.outcome))
        throw invalidAction('reportResult', s.stage, 'outcome must be resolved, explained or unresolvable');
      if (!input.summary?.trim()) throw invalidAction('reportResult', s.stage, 'summary is required');
    },
  );

  const callbackChecks = [stageIn('recordCallback', 'callback'), role('recordCallback', 'center')];
  on(
    run,
    d.recordCallbackUpdate,
    callbackChecks,
    (input) => {
      inbox.callbackAnswer = input;
    },
    () => {
      if (s.callback?.reached) throw actionNotAllowed('recordCallback', s.stage, 'the requester has already answered');
    },
  );
  // Telephony's fire-and-forget answer: the same rules, applied silently (a signal cannot be refused).
  wf.setHandler(d.recordCallbackSignal, (input) => {
    try {
      for (const check of callbackChecks) check(run, input);
      if (s.callback?.reached) return;
      inbox.callbackAnswer = input;
    } catch (error) {
      wf.log.warn('callback answer signal ignored', { appealId: s.appealId, error: (error as Error).message });
    }
  });
  on(
    run,
    d.orderRehandlingUpdate,
    [stageIn('orderRehandling', 'callback'), role('orderRehandling', 'center')],
    (input) => {
      inbox.rehandling = input;
    },
    () => {
      if (s.callback?.satisfaction !== 'unsatisfied')
        throw actionNotAllowed(
          'orderRehandling',
          s.stage,
          're-handling is ordered only after an unsatisfied callback answer',
        );
    },
  );

  on(
    run,
    d.withdrawAppealUpdate,
    [role('withdrawAppeal', 'intake')],
    (input) => {
      run.ended = { kind: 'withdrawn', reason: input.reason };
    },
    () => {
      if (s.stage === 'closed' || run.ended)
        throw actionNotAllowed('withdrawAppeal', s.stage, 'the appeal is no longer open');
    },
  );
  on(
    run,
    d.mergeAppealUpdate,
    [stageIn('mergeAppeal', ...OPEN_FOR_MERGE), role('mergeAppeal', 'center')],
    (input) => {
      run.ended = { kind: 'merged', reason: input.reason, originalAppealId: input.originalAppealId };
    },
    (input) => {
      if (run.ended) throw actionNotAllowed('mergeAppeal', s.stage, 'the appeal is no longer open');
      if (!input.originalAppealId || input.originalAppealId === s.appealId)
        throw invalidAction('mergeAppeal', s.stage, 'originalAppealId must name another appeal');
    },
  );
}
