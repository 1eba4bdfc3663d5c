import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../schemaTypes.js';

const Check = Type.Object({
  status: StringEnum(['ok', 'down'] as const),
  error: Type.Optional(Type.String()),
});
const Readiness = Type.Object({
  status: StringEnum(['ok', 'unavailable'] as const),
  checks: Type.Object({ temporal: Check, postgres: Check }),
});

async function check(probe: () => Promise<unknown>): Promise<{ status: 'ok' | 'down'; error?: string }> {
  try {
    await probe();
    return { status: 'ok' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message.split('\n')[0] };
  }
}

const health: FastifyPluginAsync = async (app) => {
  app.get(
    '/health/live',
    { schema: { tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({
      status: 'ok' as const,
    }),
  );

  const ready = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const [temporal, postgres] = await Promise.all([check(() => app.pingTemporal()), check(() => app.pingDb())]);
    const ok = temporal.status === 'ok' && postgres.status === 'ok';
    if (!ok) reply.header('Retry-After', '5');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: { temporal, postgres } });
  };
  // No key needed: load balancers and orchestrators probe these.
  const readySchema = { tags: ['health'], security: [], response: { 200: Readiness, 503: Readiness } };
  // `/health` is the short name for readiness: 200 only when Temporal and PostgreSQL both answer.
  app.get('/health', { schema: readySchema }, ready);
  app.get('/health/ready', { schema: readySchema }, ready);
};

export default health;
