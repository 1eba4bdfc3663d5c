/**
 * The response serializers. fast-json-stringify picks a branch of an `anyOf`, `oneOf` or `if` by
 * validating the value with ajv, for every value it writes; no response schema of the API has
 * one (a nullable value is a type list, a choice of strings an `enum`). And what the serializer
 * writes for the nullable and enum fields, null or not, is what `JSON.stringify` writes: no field
 * dropped, no null turned into `""`, `0` or `{}`. Validated, they admit what the unions did.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../api/app.js';
import { loadApiConfig } from '../api/config.js';
import { ajvOptions } from '../api/buildServer.js';
import { Value } from '@sinclair/typebox/value';
import {
  AppealCaseSchema,
  AppealSummary,
  ErrorBody,
  RankingLevel,
  UnitMonthView,
  WeightsView,
} from '../api/schemas.js';
import { Nullable, StringEnum } from '../api/schemaTypes.js';
import { STAGES } from '../domain/appeal.js';
import { RequesterStatusSchema } from '../api/requesterStatus.js';
import { AccountabilityRecordView } from '../api/supervisionSchemas.js';

/** Where a schema has a keyword that makes fast-json-stringify validate at run time. */
function validatingKeywords(
  schema: unknown,
  shared: Record<string, unknown>,
  at: string,
  seen = new Set<string>(),
): string[] {
  if (Array.isArray(schema)) return schema.flatMap((item, i) => validatingKeywords(item, shared, `${at}/${i}`, seen));
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const found = ['anyOf', 'oneOf', 'if'].filter((k) => k in node).map((k) => `${at}/${k}`);
  const ref = typeof node.$ref === 'string' ? node.$ref.replace(/#$/, '') : undefined;
  if (ref && !seen.has(ref)) {
    seen.add(ref);
    if (!(ref in shared)) found.push(`${at}: unknown $ref ${ref}`);
    found.push(...validatingKeywords(shared[ref], shared, ref, seen));
  }
  for (const [key, value] of Object.entries(node))
    if (!['enum', 'const', 'default', 'examples'].includes(key))
      found.push(...validatingKeywords(value, shared, `${at}/${key}`, seen));
  return found;
}

describe("the API's response schemas", () => {
  let server: FastifyInstance;
  const responses: { route: string; response: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    // As `api/openapi.ts` builds it: nothing connects.
    const config = loadApiConfig({
      DATABASE_URL: 'postgres://serialization@127.0.0.1:1/none',
      API_KEYS: '[]',
      NODE_ENV: 'production',
      REQUESTER_TOKEN_SECRET: 'the-serialization-test-needs-no-real-secret',
    });
    server = Fastify({ logger: false, ajv: ajvOptions });
    server.addHook('onRoute', (route) => {
      const response = route.schema?.response;
      const name = `${[route.method].flat().join(',')} ${route.url}`;
      if (response) responses.push({ route: name, response: response as Record<string, unknown> });
    });
    await server.register(app, { config });
    await server.ready();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('have no anyOf, oneOf or if: the serializer never validates', () => {
    expect(responses.length).toBeGreaterThan(40);
    // The schemas `api/app.ts` shares by $id.
    const shared = { AppealCase: AppealCaseSchema, AppealSummary, Error: ErrorBody };
    const found = responses.flatMap(({ route, response }) => validatingKeywords(response, shared, route));
    expect(found).toEqual([]);
  });
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 8, minute)).toISOString();

const summary = (nulls: boolean) => ({
  appealId: 'CALL-20261123-000123',
  workOrderNo: nulls ? null : '20261123-000123',
  stage: nulls ? 'triage' : 'handling',
  appealType: 'help',
  categoryCode: 'utilities.water.outage',
  contentFirstLine: '小区停水两天，物业联系不上',
  districtId: nulls ? null : 'chaoyang',
  streetId: nulls ? null : 'chaoyang-jianwai',
  leadUnitId: nulls ? null : 'bj-water',
  coHandlerIds: nulls ? [] : ['chaoyang-housing'],
  involvedUnitIds: nulls ? [] : ['bj-water', 'chaoyang-housing'],
  nextActor: nulls ? null : 'unit:bj-water',
  pendingActors: nulls ? [] : ['unit:bj-water', 'unit:chaoyang-housing'],
  waitingSince: nulls ? null : at(150),
  dueAt: nulls ? null : at(1440),
  overdue: false,
  overdueSince: nulls ? null : at(1500),
  escalationLevel: 0,
  receivedAt: at(0),
  closedAt: nulls ? null : at(2000),
});

const appealCase = (nulls: boolean) => ({
  appealId: 'CALL-20261123-000123',
  stage: 'triage',
  appealType: 'help',
  categoryCode: 'utilities.water.outage',
  supervisingUnitIds: [],
  involvedUnitIds: [],
  coHandlers: [],
  deadlines: { acceptance: at(120) },
  overdue: false,
  escalationLevel: 0,
  acceptanceReminders: 0,
  rehandlings: 0,
  triageHints: {
    knowledge: [{ id: 'kb-17', title: '停水报修', answer: '请拨打自来水集团热线', score: 0.82 }],
    duplicates: [
      {
        appealId: 'CALL-20261122-000088',
        stage: 'closed',
        leadUnitId: nulls ? null : 'bj-water',
        dueAt: nulls ? null : at(-100),
        disposition: nulls ? null : 'dispatch',
        receivedAt: at(-1440),
        closedAt: nulls ? null : at(-50),
      },
    ],
  },
  nextActor: 'center',
  waitingSince: at(0),
  timeline: [{ at: at(0), type: 'received', actor: 'intake' }],
  source: nulls ? 'workflow' : 'record',
});

const requesterStatus = (nulls: boolean) => ({
  appealId: 'CALL-20261123-000123',
  workOrderNo: nulls ? null : '20261123-000123',
  receivedAt: at(0),
  stage: nulls ? 'triage' : 'handling',
  stageText: nulls ? '热线中心正在研判您的诉求' : '承办单位正在办理',
  closed: false,
  unitInCharge: nulls ? null : { name: '北京市自来水集团' },
  deadline: nulls ? null : at(1440),
  answers: [{ kind: nulls ? 'withdrawn' : 'result', at: nulls ? null : at(900), text: '已恢复供水' }],
});

const rates = (nulls: boolean) => ({
  rows: 3,
  exempt: 1,
  invalidCallbacks: nulls ? 2 : 0,
  valid: nulls ? 0 : 2,
  contacted: nulls ? 0 : 2,
  resolved: nulls ? 0 : 1,
  satisfied: nulls ? 0 : 1,
  basicallySatisfied: 0,
  response: nulls ? null : 1,
  resolution: nulls ? null : 0.5,
  satisfaction: nulls ? null : 0.5,
  composite: nulls ? null : 0.65,
});

const unitMonth = (nulls: boolean) => ({
  unitId: 'bj-water',
  name: '北京市自来水集团',
  kind: 'public_service_enterprise',
  level: nulls ? null : 'enterprise',
  month: '2026-11',
  weights: nulls ? null : { version: 2, response: 0.3, resolution: 0.4, satisfaction: 0.3 },
  rates: rates(nulls),
  items: [
    {
      appealId: 'CALL-20261123-000123',
      unitId: 'bj-water',
      role: 'lead',
      closedAt: at(2000),
      callbackValid: !nulls,
      contacted: nulls ? null : true,
      resolved: nulls ? null : false,
      satisfaction: nulls ? null : 'basically_satisfied',
      claimedContacted: true,
      claimedResolved: false,
      reported: nulls ? null : true,
      responded: true,
      exempt: false,
      exemptReason: nulls ? null : '不可抗力',
      exemption: nulls
        ? null
        : {
            status: 'requested',
            reason: '上游管网爆管',
            requestedAt: at(2100),
            decisionReason: null,
            decidedAt: null,
          },
    },
  ],
  frozenAt: nulls ? null : at(3000),
});

const accountabilityRecord = (nulls: boolean) => ({
  appealId: 'CALL-20261123-000123',
  stepKey: 'acceptance-overdue-1',
  kind: 'late_acceptance',
  detail: nulls ? null : '签收超时 2 小时',
  at: at(240),
  auditEvent: nulls
    ? null
    : {
        seq: 4,
        stepKey: 'acceptance-overdue-1',
        type: 'acceptance_overdue',
        actor: 'center',
        reason: null,
        at: at(240),
      },
});

const CASES: [name: string, schema: TSchema, value: (nulls: boolean) => object][] = [
  ['AppealSummary', Type.Ref(AppealSummary), summary],
  ['AppealCase', Type.Ref(AppealCaseSchema), appealCase],
  ['RequesterStatus', RequesterStatusSchema, requesterStatus],
  ['UnitMonthRates', UnitMonthView, unitMonth],
  ['AccountabilityRecord', AccountabilityRecordView, accountabilityRecord],
];

describe('a route serializing nullable and enum fields', () => {
  const server = Fastify({ logger: false });

  beforeAll(async () => {
    for (const schema of [ErrorBody, AppealCaseSchema, AppealSummary]) server.addSchema(schema);
    for (const [name, schema, value] of CASES)
      for (const nulls of [true, false])
        server.get(`/${name}/${nulls ? 'nulls' : 'values'}`, { schema: { response: { 200: schema } } }, async () =>
          value(nulls),
        );
    await server.ready();
  });
  afterAll(async () => {
    await server.close();
  });

  for (const [name, , value] of CASES)
    for (const nulls of [true, false])
      it(`writes ${name} with ${nulls ? 'nulls' : 'values'} as JSON.stringify does`, async () => {
        const res = await server.inject(`/${name}/${nulls ? 'nulls' : 'values'}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toStrictEqual(value(nulls));
        // The same bytes in the schema's order of the properties.
        expect(res.body).toHaveLength(JSON.stringify(value(nulls)).length);
      });
});

describe('the nullable and enum schemas', () => {
  // As the unions they stand for: ajv (request validation) and TypeBox's Value agree on each.
  const Body = Type.Object(
    {
      level: Nullable(RankingLevel),
      weights: WeightsView,
      stage: StringEnum(STAGES),
      rank: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      duplicates: Type.Optional(Nullable(Type.Array(Type.String()))),
    },
    { additionalProperties: false },
  );
  const server = Fastify({ logger: false });
  server.post('/check', { schema: { body: Body } }, async () => ({ ok: true }));
  afterAll(async () => {
    await server.close();
  });

  const valid = { level: 'street', weights: null, stage: 'triage' };
  const cases: [body: Record<string, unknown>, accepted: boolean][] = [
    [valid, true],
    [{ ...valid, level: null }, true],
    [{ ...valid, level: 'galaxy' }, false],
    [{ ...valid, level: undefined }, false],
    [{ ...valid, weights: { version: 1, response: 0.3, resolution: 0.4, satisfaction: 0.3 } }, true],
    [{ ...valid, weights: { version: 1 } }, false],
    [{ ...valid, stage: null }, false],
    [{ ...valid, stage: 'nowhere' }, false],
    [{ ...valid, rank: null }, true],
    [{ ...valid, rank: 3 }, true],
    [{ ...valid, rank: 0 }, false],
    [{ ...valid, rank: 1.5 }, false],
    [{ ...valid, duplicates: null }, true],
    [{ ...valid, duplicates: ['a'] }, true],
    [{ ...valid, duplicates: [{}] }, false],
  ];
  for (const [body, accepted] of cases)
    it(`${accepted ? 'accepts' : 'refuses'} ${JSON.stringify(body)}`, async () => {
      expect(Value.Check(Body, body)).toBe(accepted);
      const res = await server.inject({ method: 'POST', url: '/check', payload: body });
      expect(res.statusCode, res.body).toBe(accepted ? 200 : 400);
    });
});
