import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import {
  caseQuery,
  reportResultUpdate,
  type AppealCase,
  type ReportResultInput,
  type Stage,
  type TimelineEntry,
  type WorkOrder,
} from './definitions.js';
import { AppealId, AppealStage, AppealType, Category, District, DueAt, NextActor, Street } from '../searchAttributes.js';

const records = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const HANDLING_DAYS = 15;

export async function appealWorkflow(order: WorkOrder): Promise<AppealCase> {
  let stage: Stage = 'triage';
  const timeline: TimelineEntry[] = [];
  let result: ReportResultInput | undefined;
  const dueAt = new Date(Date.parse(order.receivedAt) + HANDLING_DAYS * 24 * 3600 * 1000);

  const snapshot = (): AppealCase => ({
    appealId: order.appealId,
    stage,
    deadlines: { handling: dueAt.toISOString() },
    nextActor: stage === 'closed' ? 'none' : 'unit',
    timeline,
  });
  wf.setHandler(caseQuery, snapshot);
  wf.setHandler(
    reportResultUpdate,
    (input) => {
      result = input;
      return snapshot();
    },
    {
      validator: (_input: ReportResultInput) => {
        if (stage !== 'handling') throw new Error(`reportResult is not allowed in stage ${stage}`);
      },
    },
  );

  wf.upsertSearchAttributes([
    { key: AppealId, value: order.appealId },
    { key: AppealStage, value: stage },
    { key: AppealType, value: order.appealType },
    { key: Category, value: order.categoryCode },
    ...(order.districtId ? [{ key: District, value: order.districtId }] : []),
    ...(order.streetId ? [{ key: Street, value: order.streetId }] : []),
    { key: DueAt, value: dueAt },
    { key: NextActor, value: 'unit' },
  ]);

  await records.recordIntake(order);
  stage = 'handling';
  wf.upsertSearchAttributes([{ key: AppealStage, value: stage }]);
  await wf.condition(() => result !== undefined, dueAt.getTime() - Date.now());
  stage = 'closed';
  await records.recordStep({
    appealId: order.appealId,
    stepKey: 'close',
    type: 'closed',
    actor: 'center',
    at: new Date().toISOString(),
    patch: { stage, closedAt: new Date().toISOString() },
  });
  wf.upsertSearchAttributes([{ key: AppealStage, value: stage }]);
  return snapshot();
}
