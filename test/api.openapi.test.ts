import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { generateOpenApi, OPENAPI_PATH } from '../api/openapi.js';
import { ActionBodies, StartAppealBody } from '../api/schemas.js';
import { ACTION_RULES } from '../domain/actions.js';

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

  it('shows only examples that the schemas accept', () => {
    const bodies: [string, TSchema][] = [['start', StartAppealBody], ...Object.entries(ActionBodies)];
    const withExamples = bodies.filter(([, schema]) => Array.isArray(schema.examples));
    expect(withExamples.length).toBeGreaterThan(3);
    for (const [name, schema] of withExamples)
      for (const example of schema.examples as unknown[]) expect(Value.Check(schema, example), name).toBe(true);
  });
});
