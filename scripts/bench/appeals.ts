/**
 * The operations the benchmark times, each done two ways: directly (Temporal client,
 * PostgreSQL) and through the HTTP API over a real socket. The direct ones do what the API's
 * routes do underneath, so the difference is what the API adds.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { desc, inArray } from 'drizzle-orm';
import { appeals } from '../../db/schema/index.js';
import { getAppealRecord } from '../../db/queries/cases.js';
import { recordWorkOrder } from '../../db/queries/intake.js';
import { caseAtIntake } from '../../domain/caseAtIntake.js';
import {
  acceptDispatchUpdate,
  appealWorkflowId,
  reportResultUpdate,
  TASK_QUEUE,
  triageAppealUpdate,
  type AppealCase,
  type Stage,
  type WorkOrder,
} from '../../workflows/appeal/definitions.js';
import type { appealWorkflow } from '../../workflows/index.js';
import { BENCH_LEAD_UNIT, type BenchStack } from './stack.js';
import {
  FLOOR_TASK_QUEUE,
  floorQuery,
  floorRecordedUpdate,
  floorShapedUpdate,
  type floorShapedWorkflow,
  floorUpdate,
  type floorWorkflow,
} from './floor/workflows.js';
import { waterOutage } from '../lib/sampleAppeals.js';

/** The body every benchmark start posts. */
export const START_BODY = waterOutage();

/** The work order as `POST /v1/appeals` builds it from that body. */
export const newWorkOrder = (): WorkOrder => ({
  ...START_BODY,
  requester: { ...START_BODY.requester },
  appealId: randomUUID(),
  receivedAt: new Date().toISOString(),
});

/** The result every benchmark result posts. */
const RESULT_BODY = { outcome: 'resolved', summary: '已恢复供水' } as const;

export function appealOps(stack: BenchStack) {
  const { client, db, apiUrl, keys } = stack;

  async function http<T>(method: 'GET' | 'POST', path: string, key: string, body?: unknown, headers = {}): Promise<T> {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path.split('?')[0]}: ${response.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  const handle = (appealId: string) => client.workflow.getHandle(appealWorkflowId(appealId));

  const ops = {
    /** `client.workflow.start` with the options `POST /v1/appeals` uses. */
    async startDirect(order: WorkOrder): Promise<void> {
      await client.workflow.start<typeof appealWorkflow>('appealWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: appealWorkflowId(order.appealId),
        args: [order],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `${order.appealType} · ${order.categoryCode} · ${order.districtId ?? 'no place'}`,
        staticDetails: order.content,
      });
    },

    /** As `POST /v1/appeals` records it once started: the work order with the case at intake, one statement. */
    async recordWorkOrder(order: WorkOrder): Promise<void> {
      await recordWorkOrder(db.db, order, caseAtIntake(order));
    },

    /** Started and recorded as `POST /v1/appeals` does it: a raw start, then the work order recorded. */
    async startRecorded(order: WorkOrder): Promise<void> {
      await ops.startDirect(order);
      await ops.recordWorkOrder(order);
    },

    /** `POST /v1/appeals` as intake, with an Idempotency-Key as intake systems send it; answers the appeal id. */
    async startHttp(): Promise<string> {
      const answer = await http<{ case: { appealId: string } }>('POST', '/v1/appeals', keys.intake, START_BODY, {
        'idempotency-key': randomUUID(),
      });
      return answer.case.appealId;
    },

    triageDirect: (appealId: string): Promise<AppealCase> =>
      handle(appealId).executeUpdate(triageAppealUpdate, {
        args: [{ by: { role: 'center' }, disposition: 'dispatch' }],
      }),

    triageHttp: (appealId: string): Promise<unknown> =>
      http('POST', `/v1/appeals/${encodeURIComponent(appealId)}/triage`, keys.center, { disposition: 'dispatch' }),

    acceptDirect: (appealId: string): Promise<AppealCase> =>
      handle(appealId).executeUpdate(acceptDispatchUpdate, {
        args: [{ by: { role: 'unit', unitId: BENCH_LEAD_UNIT } }],
      }),

    acceptHttp: (appealId: string): Promise<unknown> =>
      http('POST', `/v1/appeals/${encodeURIComponent(appealId)}/accept`, keys.unit, {}),

    resultDirect: (appealId: string): Promise<AppealCase> =>
      handle(appealId).executeUpdate(reportResultUpdate, {
        args: [{ by: { role: 'unit', unitId: BENCH_LEAD_UNIT }, ...RESULT_BODY }],
      }),

    resultHttp: (appealId: string): Promise<unknown> =>
      http('POST', `/v1/appeals/${encodeURIComponent(appealId)}/result`, keys.unit, RESULT_BODY),

    /** What `GET /v1/appeals/:id` reads for an open case: its record, where the workflow keeps its current case. */
    readDirect: async (appealId: string): Promise<AppealCase> => {
      const row = await getAppealRecord(db.db, appealId);
      if (!row?.currentCase) throw new Error(`appeal ${appealId} has no current case in its record`);
      return row.currentCase;
    },

    readHttp: (appealId: string): Promise<unknown> =>
      http('GET', `/v1/appeals/${encodeURIComponent(appealId)}`, keys.supervisor),

    /** The query `GET /v1/appeals` runs without filters: newest first, one more row than the page. */
    listDirect: (limit: number): Promise<unknown> =>
      db.db
        .select()
        .from(appeals)
        .orderBy(desc(appeals.receivedAt), desc(appeals.id))
        .limit(limit + 1),

    listHttp: (limit: number): Promise<unknown> => http('GET', `/v1/appeals?limit=${limit}`, keys.supervisor),

    /**
     * Untimed: waits until every appeal's record exists (and is in `stage`, when given), so a
     * round's background work is done before the next one is timed. Answers the ids still missing.
     */
    async settle(appealIds: string[], stage?: Stage, timeoutMs = 60_000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      let missing = [...appealIds];
      while (missing.length > 0 && Date.now() <= deadline) {
        const rows = await db.db
          .select({ id: appeals.id, stage: appeals.stage })
          .from(appeals)
          .where(inArray(appeals.id, missing));
        const done = new Set(rows.filter((r) => !stage || r.stage === stage).map((r) => r.id));
        missing = missing.filter((id) => !done.has(id));
        if (missing.length > 0) await sleep(50);
      }
      return missing;
    },
  };
  return ops;
}

/** The floors: the same client calls on a workflow that does nothing (floor/workflows.ts). */
export function floorOps(stack: BenchStack) {
  const { client } = stack;
  return {
    /** A raw start; answers the workflow id. */
    async start(): Promise<string> {
      const workflowId = `floor-${randomUUID()}`;
      await client.workflow.start<typeof floorWorkflow>('floorWorkflow', { taskQueue: FLOOR_TASK_QUEUE, workflowId });
      return workflowId;
    },
    /** A raw start of the workflow whose Update has an action's shape; answers the workflow id. */
    async startShaped(): Promise<string> {
      const workflowId = `floor-shaped-${randomUUID()}`;
      await client.workflow.start<typeof floorShapedWorkflow>('floorShapedWorkflow', {
        taskQueue: FLOOR_TASK_QUEUE,
        workflowId,
      });
      return workflowId;
    },
    /** An Update with an action's shape: search attributes, a timer replaced, one local activity, a case-sized answer. */
    shapedUpdate: (workflowId: string): Promise<string> =>
      client.workflow.getHandle(workflowId).executeUpdate(floorShapedUpdate),
    update: (workflowId: string): Promise<null> => client.workflow.getHandle(workflowId).executeUpdate(floorUpdate),
    /** An Update whose handler runs one local activity that does nothing. */
    recordedUpdate: (workflowId: string): Promise<null> =>
      client.workflow.getHandle(workflowId).executeUpdate(floorRecordedUpdate),
    query: (workflowId: string): Promise<null> => client.workflow.getHandle(workflowId).query(floorQuery),
  };
}

export type FloorOps = ReturnType<typeof floorOps>;

export type AppealOps = ReturnType<typeof appealOps>;
