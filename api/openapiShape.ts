/**
 * The OpenAPI document describes what a caller must send. TypeBox lists a property with a
 * default among the required ones (the server always has a value), but a caller may leave it
 * out: the default applies. This per-route transform of @fastify/swagger says so.
 */
import type { FastifySchema } from 'fastify';

type ObjectSchema = { properties?: Record<string, { default?: unknown }>; required?: string[] };

function callerRequired<T>(schema: T): T {
  const object = schema as ObjectSchema | undefined;
  if (!object?.properties || !object.required) return schema;
  const required = object.required.filter((name) => object.properties![name]?.default === undefined);
  return { ...schema, required } as T;
}

export function documentedAsSent({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  if (!schema) return { schema, url };
  return {
    schema: {
      ...schema,
      ...(schema.querystring ? { querystring: callerRequired(schema.querystring) } : {}),
      ...(schema.headers ? { headers: callerRequired(schema.headers) } : {}),
    },
    url,
  };
}
