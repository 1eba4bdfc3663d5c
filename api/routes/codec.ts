/**
 * The codec server (Temporal's remote codec pattern): the Temporal Web UI posts the payloads it
 * shows to `/codec/decode` and gets them back in clear, so a supervisor or the center reads an
 * appeal's history there while the server itself only ever holds ciphertext. Browser calls come
 * from the UI's origin, hence CORS. Not part of the JSON API: hidden from the OpenAPI document.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ENCRYPTED_ENCODING, PayloadDecryptionError } from '../../platform/payloadCodec.js';
import { HttpError } from '../errors.js';
import { auditReads, readsInPayloads, workflowIdOfReferer } from '../readAudit.js';
import type { Role } from '../plugins/auth.js';

/** The roles that may read every payload in clear (those who may read a case in full). */
export const CODEC_ROLES: readonly Role[] = ['supervisor', 'center', 'admin'];

const JsonPayloads = Type.Object({
  // Absent for none: the protobuf JSON the Temporal CLI sends leaves an empty list out
  // (a query without arguments is encoded as `{}`).
  payloads: Type.Optional(
    Type.Array(
      Type.Object({
        metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
        data: Type.Optional(Type.String()),
      }),
    ),
  ),
});
type JsonPayloads = Static<typeof JsonPayloads>;
type JsonPayload = NonNullable<JsonPayloads['payloads']>[number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const encrypted = (p: Payload): boolean => Buffer.from(p.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING;

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/** An origin, and for a loopback host its other name too (a browser may open either). */
function originsOf(url: string): string[] {
  const { protocol, hostname, port, origin } = new URL(url);
  const other = { '127.0.0.1': 'localhost', localhost: '127.0.0.1' }[hostname];
  return other ? [origin, `${protocol}//${other}${port ? `:${port}` : ''}`] : [origin];
}

export interface CodecRouteOptions {
  /** The payload codec; without one (no PAYLOAD_KEYS) payloads pass through unchanged. */
  codec: PayloadCodec | undefined;
  /** Origins (scheme://host:port) whose pages may call these routes. */
  corsOrigins: string[];
  /**
   * Development without key configuration: the dev server's UI cannot send a key (it has no
   * sign-in), and the dev keys are public anyway, so a call without `Authorization` is let through.
   */
  openWithoutKey: boolean;
}

const codec: FastifyPluginAsync<CodecRouteOptions> = async (
  app,
  { codec: payloadCodec, corsOrigins, openWithoutKey },
) => {
  const allowed = new Set(corsOrigins.flatMap(originsOf));

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && allowed.has(origin)) {
      reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-credentials', 'true')
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
        .header('access-control-max-age', '600');
    }
    reply.header('vary', 'origin');
  });

  // After the CORS headers, so the UI can read a 401 or 403 too; a preflight carries no key.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    if (openWithoutKey && request.headers.authorization === undefined) return;
    await app.authenticate(request, reply);
    if (!CODEC_ROLES.includes(request.principal!.role))
      throw new HttpError(403, `the codec server is for ${CODEC_ROLES.join(', ')} keys`);
  });

  const route = (name: 'decode' | 'encode') => {
    app.options(`/codec/${name}`, { schema: { hide: true } }, async (_request, reply) => reply.code(204).send());
    app.post<{ Body: JsonPayloads }>(
      `/codec/${name}`,
      // The UI sends whole histories' payloads at once: more than the API's 256 KiB.
      { schema: { hide: true, body: JsonPayloads }, bodyLimit: 8 * 1024 * 1024 },
      async (request) => {
        const payloads = (request.body.payloads ?? []).map(fromJson);
        if (!payloadCodec) return { payloads: payloads.map(toJson) };
        try {
          const out = await payloadCodec[name](payloads);
          // The UI reads work orders, texts and contacts in clear through here: written to the read
          // audit like any other read, by whoever called (a key, or `anonymous` in development), an
          // appeal's or (a payload naming none) no appeal's, with the execution the page shows.
          if (name === 'decode')
            await auditReads(app, request, readsInPayloads(out.filter((_, i) => encrypted(payloads[i]!))), {
              workflowId: workflowIdOfReferer(request.headers.referer),
            });
          request.log.info({ codec: name, payloads: out.length, namespace: request.headers['x-namespace'] }, 'codec');
          return { payloads: out.map(toJson) };
        } catch (error) {
          if (error instanceof PayloadDecryptionError) throw new HttpError(400, error.message, 'payloads');
          throw error;
        }
      },
    );
  };
  route('decode');
  route('encode');
};

export default codec;
