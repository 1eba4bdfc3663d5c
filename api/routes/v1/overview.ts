/** Aggregates for supervision: where the overdue open cases are (the supervisor page's chart). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { overdueByDistrictAndStreet } from '../../../db/queries/overview.js';
import { Nullable } from '../../schemaTypes.js';
import { errors, NoQuery, rolesOnly } from './shared.js';

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
const READERS = ['center', 'supervisor', 'admin'] as const;

const overview: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/overview/overdue',
    {
      schema: {
        tags: ['appeals'],
        summary: 'Open overdue cases counted by district and street',
        description:
          'Roles: center, supervisor, admin. Counts the open cases (not closed) whose record is `overdue` now — the cases `GET /v1/appeals?overdue=true` lists — by district and street, most overdue first. Cases without a street are counted under `streetId: null` of their district, cases without a district under `districtId: null`.',
        querystring: NoQuery,
        response: { 200: OverdueOverview, ...errors(400, 401, 403, 503) },
      },
      preValidation: rolesOnly(READERS, 'does not read the city-wide overview'),
    },
    async () => overdueByDistrictAndStreet(app.db),
  );
};

export default overview;
