/**
 * `npm run demo`: with `npm run dev` running, starts one appeal and dispatches it, then prints
 * where to see it in the Temporal UI. A quick way to look at a live case and its search
 * attributes, summary and details.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { appealWorkflow } from '../workflows/index.js';
import { dataConverterOf, payloadCodecFromConfig } from '../platform/payloadCodec.js';
import { readDevPayloadKeys } from './lib/devPayloadKeys.js';
import { appealWorkflowId, TASK_QUEUE, triageAppealUpdate, type WorkOrder } from '../workflows/appeal/definitions.js';

const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const uiUrl = process.env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${process.env.TEMPORAL_UI_PORT ?? 8233}`;
const connection = await Connection.connect({ address });
try {
  // The keys `npm run dev` encrypts with: the worker's answers are ciphertext.
  const PAYLOAD_KEYS = process.env.PAYLOAD_KEYS ?? (await readDevPayloadKeys());
  const codec = payloadCodecFromConfig({ PAYLOAD_KEYS, PAYLOAD_KEY_ID: process.env.PAYLOAD_KEY_ID });
  const client = new Client({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    ...dataConverterOf(codec),
  });
  const order: WorkOrder = {
    appealId: `demo-${randomUUID().slice(0, 8)}`,
    channel: 'phone',
    appealType: 'complaint',
    categoryCode: 'urban.road_damage',
    content: '建外街道某小区门前道路塌陷，存在安全隐患',
    districtId: 'chaoyang',
    streetId: 'chaoyang-jianwai',
    requester: { name: '演示', phone: '13000000000' },
    receivedAt: new Date().toISOString(),
  };
  const handle = await client.workflow.start(appealWorkflow, {
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? TASK_QUEUE,
    workflowId: appealWorkflowId(order.appealId),
    args: [order],
    staticSummary: `投诉 · ${order.categoryCode} · ${order.districtId}/${order.streetId}`,
    staticDetails: order.content,
  });
  const c = await handle.executeUpdate(triageAppealUpdate, {
    args: [{ by: { role: 'center' }, disposition: 'dispatch' }],
  });
  const query = encodeURIComponent('AppealStage="awaiting_acceptance"');
  process.stdout.write(
    [
      `appeal ${order.appealId}: ${c.stage}, lead unit ${c.leadUnitId}, accept by ${c.deadlines.acceptance}, handle by ${c.deadlines.handling}`,
      `  this case:   ${uiUrl}/namespaces/default/workflows/${handle.workflowId}`,
      `  all waiting: ${uiUrl}/namespaces/default/workflows?query=${query}`,
      '',
    ].join('\n'),
  );
} finally {
  await connection.close();
}
