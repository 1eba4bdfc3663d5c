/** Aggregates for supervision: where the overdue open cases are (the supervisor page's chart). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { overdueByDistrictAndStreet } from '../../../db/queries/overview.js';
import { HttpError } from '../../errors.js';
import { Nullable } from '../../schemaTypes.js';
import { errors, principalOf } from './shared.js';

const Name = Nullable(Type.String());
const OverdueOverview = Type.Object(
  {
    total: Type.Integer({ description: 'Open overdue cases in all' }),
    districts: Type.Array(
      Type.Object({
        districtId: Nullable(Type.String(), { description: 'null: cases without a district' }),
        name: Name,
        count: Type.Integer(),
        streets: Type.Array(
          Type.Object({
            streetId: Nullable(Type.String(), {
              description: "null: the district's cases without a street",
            }),
            name: Name,
            count: Type.Integer(),
          }),
        ),
      }),
    ),
  },
  { title: 'OverdueOverview' },
);

/** Who reads city-wide aggregates. */
const READERS = ['center', 'supervisor', 'admin'];

const overview: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/overview/overdue',
    {
      schema: {
        tags: ['appeals'],
        summary: 'Open overdue cases counted by district and street',
        description:
          'Roles: center, supervisor, admin. Counts the open cases (not closed) whose record is `overdue` now — the cases `GET /v1/appeals?overdue=true` lists — by district and street, most overdue first. Cases without a street are counted under `streetId: null` of their district, cases without a district under `districtId: null`.',
        // It takes no parameters: one sent is a 400 naming it, as on every other route.
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: OverdueOverview, ...errors(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!READERS.includes(principal.role))
        throw new HttpError(403, `role ${principal.role} does not read the city-wide overview`);
      return overdueByDistrictAndStreet(app.db);
    },
  );
};

export default overview;
