import type { FastifyPluginAsync } from 'fastify';
import actions from './actions.js';
import appeals from './appeals.js';
import assessments from './assessments.js';
import supervision from './supervision.js';
import units from './units.js';
import webhooks from './webhooks.js';
import notificationEndpoints from './notificationEndpoints.js';
import overview from './overview.js';
import readAudit from './readAudit.js';

/** Everything under /v1 needs an API key. */
const v1: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', (request, reply) => app.authenticate(request, reply));
  await app.register(appeals);
  // After appeals: the documented paths keep their order (appeals, then their actions).
  await app.register(actions);
  await app.register(units);
  await app.register(assessments);
  await app.register(supervision);
  await app.register(webhooks);
  await app.register(notificationEndpoints);
  await app.register(overview);
  await app.register(readAudit);
};

export default v1;
