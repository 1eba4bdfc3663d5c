/**
 * `GET /v1/status/:ref`: the requester reads the state of their own appeal (Art. 7, 9(3)) with
 * the token the start answered, and no API key. `ref` is the appeal id or the work order number.
 * A wrong token and an unknown appeal answer the same 404, so the route tells a guesser nothing
 * about which appeals exist; the token's 80 bits make guessing it hopeless (a gateway's rate limit
 * per client address is still wise in front of it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { findAppealByRef } from '../../../db/queries/appealRefs.js';
import { HttpError } from '../../errors.js';
import { currentCase, requesterStatus, RequesterStatusSchema } from '../../requesterStatus.js';
import { errors } from './shared.js';

/** The same answer for an appeal that does not exist and a token that is not its own. */
const notFound = () => new HttpError(404, 'no appeal with this reference and token');

const Token = Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z -]+$' });

const status: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status/:ref',
    {
      schema: {
        tags: ['requester'],
        summary: "The requester's view of their appeal (no API key: the requester token)",
        description:
          'The stage (also in plain words), the unit in charge, the handling deadline and the answers given to the requester — nothing else. `ref`: the appeal id or the work order number (工单编号). The token (`requesterToken` of the start, e.g. `7KQ2-M9XD-4T0B-HC3N`; case, spaces and hyphens do not matter) goes in the `X-Requester-Token` header or `?token=`. A wrong token answers the same 404 as an unknown appeal.',
        security: [],
        params: Type.Object({
          ref: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }),
        }),
        querystring: Type.Object({ token: Type.Optional(Token) }, { additionalProperties: false }),
        headers: Type.Object({ 'x-requester-token': Type.Optional(Token) }),
        response: { 200: RequesterStatusSchema, ...errors(400, 404, 503) },
      },
    },
    async (request) => {
      const token = request.headers['x-requester-token'] ?? request.query.token;
      if (!token)
        throw new HttpError(
          400,
          'querystring/token: send the requester token in X-Requester-Token or ?token=',
          'querystring/token',
          'VALIDATION',
        );
      const row = await findAppealByRef(app.db, request.params.ref);
      // The token is checked whether or not the appeal exists: the same work either way.
      const valid = app.requesterTokens.verify(row?.id ?? request.params.ref, token);
      if (!row || !valid) throw notFound();
      request.log = request.log.child({ appealId: row.id, caller: 'requester' });
      return requesterStatus(app, await currentCase(app, row), row);
    },
  );
};

export default status;
