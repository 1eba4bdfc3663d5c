import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { generateOpenApi, OPENAPI_PATH } from '../api/openapi.js';
import { ActionBodies, StartAppealBody } from '../api/schemas.js';
import { ACTION_RULES } from '../domain/actions.js';
import { STAGES } from '../domain/appeal.js';

describe('OpenAPI document', () => {
  it('matches the committed api/openapi.json (run `npm run openapi` after changing a route)', async () => {
    const generated = await generateOpenApi();
    expect(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))).toEqual(JSON.parse(generated));
  });

  it('documents every action route with its error statuses, and the strictness', async () => {
    const spec = JSON.parse(await generateOpenApi()) as {
      info: { description: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(spec.info.description).toContain('additionalProperties: false');
    const errorStatuses = ['400', '401', '403', '404', '409', '413', '415', '503'];
    // The Updates answer the case (200); the callback-answers signal only its delivery (202).
    const signalPath = '/v1/appeals/{id}/callback-answers';
    const actions = Object.keys(spec.paths).filter((p) => p.startsWith('/v1/appeals/{id}/') && p !== signalPath);
    expect(actions).toHaveLength(Object.keys(ACTION_RULES).length);
    for (const path of actions)
      expect(Object.keys(spec.paths[path]!.post!.responses).sort()).toEqual(['200', ...errorStatuses]);
    expect(Object.keys(spec.paths[signalPath]!.post!.responses).sort()).toEqual(['202', ...errorStatuses]);
  });

  it('declares on every route the statuses the API can answer there', async () => {
    const spec = JSON.parse(await generateOpenApi()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: unknown; parameters?: unknown[]; security?: unknown[]; responses: Record<string, unknown> }
        >
      >;
    };
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (path.startsWith('/docs')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const expected = [
          // A route that takes no key (security: [], the requester's status) cannot answer 401.
          ...(path.startsWith('/v1/') ? ['503', ...(operation.security?.length === 0 ? [] : ['401'])] : []),
          ...(operation.requestBody ? ['400', '413', '415'] : []),
          ...(operation.parameters?.length ? ['400'] : []),
        ];
        for (const status of expected)
          if (!(status in operation.responses)) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('writes nullable values in 3.0.3 terms: `nullable: true`, never a `null` type or a list of types', async () => {
    const spec = JSON.parse(await generateOpenApi()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const offending: string[] = [];
    let nullable = 0;
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${at}/${i}`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'null' || Array.isArray(schema.type)) offending.push(`${at}: ${JSON.stringify(schema.type)}`);
      if (schema.nullable === true) nullable++;
      for (const [key, value] of Object.entries(schema)) if (key !== 'examples') walk(value, `${at}/${key}`);
    };
    walk(spec, '#');
    expect(offending).toEqual([]);
    expect(nullable).toBeGreaterThan(50);

    const summary = spec.components.schemas.AppealSummary!.properties;
    expect(summary.workOrderNo).toEqual({
      type: 'string',
      nullable: true,
      description: 'The work order number (工单编号)',
    });
    expect(summary.closedAt).toEqual({ type: 'string', nullable: true });
    const json = (path: string, status = '200') =>
      (spec.paths[path]!.get!.responses[status]!.content!['application/json'] as { schema: Record<string, unknown> })
        .schema as { properties: Record<string, Record<string, unknown>> };
    // A nullable enum keeps null among its values; a nullable object keeps its properties.
    const unitMonth = json('/v1/assessments/units/{unitId}/months/{month}').properties;
    expect(unitMonth.level).toMatchObject({
      type: 'string',
      nullable: true,
      enum: ['street', 'department', 'enterprise', null],
    });
    const weightFields = ['version', 'response', 'resolution', 'satisfaction'];
    expect(unitMonth.weights).toMatchObject({ type: 'object', nullable: true, required: weightFields });
    expect(Object.keys(unitMonth.weights!.properties as object)).toEqual(weightFields);
    // A choice of strings is one enum, not an anyOf of constants.
    expect(json('/v1/status/{ref}').properties.stage).toEqual({ type: 'string', enum: [...STAGES] });
  });

  it('shows only examples that the schemas accept', () => {
    const bodies: [string, TSchema][] = [['start', StartAppealBody], ...Object.entries(ActionBodies)];
    const withExamples = bodies.filter(([, schema]) => Array.isArray(schema.examples));
    expect(withExamples.length).toBeGreaterThan(3);
    for (const [name, schema] of withExamples)
      for (const example of schema.examples as unknown[]) expect(Value.Check(schema, example), name).toBe(true);
  });
});
