/**
 * Anonymisation of closed appeals after the retention period (domain/privacy.ts says what goes and
 * what stays). One batch is one transaction: the appeals' rows (locked, skipping rows another
 * batch holds), their audit events and the deliveries of messages to the requester (and of a
 * co-handler's report or a report-in passed on to the lead) are rewritten together and the appeals marked `anonymised_at`, so a batch is all or nothing and a second run
 * finds nothing left to do. Assessments, their counts, accountability records, categories, places
 * and dates are not touched: the statistics stay as they were.
 */
import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals, auditEvents } from '../schema/cases.js';
import { webhookDeliveries } from '../schema/webhooks.js';
import { ANONYMISED, REQUESTER_TEXT_NOTICES, scrubJson, scrubReason, type Requester } from '../../domain/privacy.js';

export interface AnonymisedBatch {
  /** Appeals anonymised by this batch. */
  appeals: number;
  /** Their audit events whose reason or payload changed. */
  auditEvents: number;
  /** Their deliveries to the requester (and of reports passed on to the lead) whose payload changed. */
  deliveries: number;
}

const json = (value: unknown) => JSON.stringify(value ?? null);

/**
 * Anonymises up to `batchSize` appeals closed before `closedBefore` and not yet anonymised,
 * oldest closed first, in one transaction; `at` is recorded as their `anonymised_at`.
 */
export async function anonymiseClosedAppealsBatch(
  db: DbOrTx,
  params: { closedBefore: Date; batchSize: number; at: Date },
): Promise<AnonymisedBatch> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({
        id: appeals.id,
        requesterName: appeals.requesterName,
        requesterPhone: appeals.requesterPhone,
        result: appeals.result,
        callback: appeals.callback,
        finalCase: appeals.finalCase,
      })
      .from(appeals)
      .where(and(lt(appeals.closedAt, params.closedBefore), isNull(appeals.anonymisedAt)))
      .orderBy(asc(appeals.closedAt), asc(appeals.id))
      .limit(params.batchSize)
      .for('update', { skipLocked: true });
    if (rows.length === 0) return { appeals: 0, auditEvents: 0, deliveries: 0 };
    const ids = rows.map((r) => r.id);
    const requesters = new Map<string, Requester>(
      rows.map((r) => [r.id, { name: r.requesterName, phone: r.requesterPhone }]),
    );

    // The appeals, in one statement: contact, content, address and attachments erased, texts scrubbed.
    const appealValues = rows.map((r) => {
      const who = requesters.get(r.id)!;
      return {
        id: r.id,
        result: r.result ? scrubJson(r.result, who) : null,
        callback: r.callback ? scrubJson(r.callback, who) : null,
        final_case: r.finalCase ? scrubJson(r.finalCase, who) : null,
      };
    });
    await tx.execute(sql`
      update ${appeals} a set
        requester_name = null, requester_phone = null, content = ${ANONYMISED}, address = null,
        attachments = '[]'::jsonb, result = v.result, callback = v.callback, final_case = v.final_case,
        current_case = null,
        anonymised_at = ${params.at}
      from jsonb_to_recordset(${json(appealValues)}::jsonb) as v(id text, result jsonb, callback jsonb, final_case jsonb)
      where a.id = v.id`);

    // Their audit events: only those that change, in one statement.
    const events = await tx
      .select({
        appealId: auditEvents.appealId,
        seq: auditEvents.seq,
        type: auditEvents.type,
        reason: auditEvents.reason,
        payload: auditEvents.payload,
      })
      .from(auditEvents)
      .where(inArray(auditEvents.appealId, ids));
    const eventValues = events.flatMap((e) => {
      const who = requesters.get(e.appealId)!;
      const reason = scrubReason(e.type, e.reason, who);
      const payload = scrubJson(e.payload, who);
      return reason === e.reason && json(payload) === json(e.payload)
        ? []
        : [{ appeal_id: e.appealId, seq: e.seq, reason, payload }];
    });
    if (eventValues.length > 0)
      await tx.execute(sql`
        update ${auditEvents} e set reason = v.reason, payload = v.payload
        from jsonb_to_recordset(${json(eventValues)}::jsonb) as v(appeal_id text, seq int, reason text, payload jsonb)
        where e.appeal_id = v.appeal_id and e.seq = v.seq`);

    // What was sent to the requester (the SMS gateway's deliveries), and the messages that passed a
    // co-handler's report or a report-in's note on to the lead: the message and the contact go.
    const deliveries = await tx
      .select({
        deliveryId: webhookDeliveries.deliveryId,
        appealId: webhookDeliveries.appealId,
        payload: webhookDeliveries.payload,
      })
      .from(webhookDeliveries)
      .where(
        and(
          inArray(webhookDeliveries.appealId, ids),
          or(eq(webhookDeliveries.audience, 'requester'), inArray(webhookDeliveries.kind, [...REQUESTER_TEXT_NOTICES])),
        ),
      );
    const deliveryValues = deliveries.flatMap((d) => {
      const payload = scrubJson({ ...d.payload, message: ANONYMISED }, requesters.get(d.appealId)!);
      return json(payload) === json(d.payload) ? [] : [{ delivery_id: d.deliveryId, payload }];
    });
    if (deliveryValues.length > 0)
      await tx.execute(sql`
        update ${webhookDeliveries} d set payload = v.payload
        from jsonb_to_recordset(${json(deliveryValues)}::jsonb) as v(delivery_id text, payload jsonb)
        where d.delivery_id = v.delivery_id`);

    return { appeals: rows.length, auditEvents: eventValues.length, deliveries: deliveryValues.length };
  });
}
