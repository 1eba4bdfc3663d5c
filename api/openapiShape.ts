/**
 * How the OpenAPI document shows the schemas. It describes what a caller must send: TypeBox
 * lists a property with a default among the required ones (the server always has a value), but a
 * caller may leave it out, the default applies; the per-route transform of @fastify/swagger
 * (`documentedAsSent`) says so. And it is OpenAPI 3.0.3, which has no `null` type: the
 * whole-document transform (`documentedAsOpenApi30`) writes a nullable value as `nullable: true`.
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

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Keywords whose values are data, not schemas. */
const DATA_KEYWORDS = new Set(['const', 'default', 'enum', 'example', 'examples']);
const isNullSchema = (schema: unknown) => isObject(schema) && schema.type === 'null';

/**
 * One schema as OpenAPI 3.0 writes it: no `null` type, `nullable: true` instead. A type list
 * (`['string', 'null']`, the form `schemaTypes.ts` gives a nullable value) becomes its one other
 * type; an `enum` keeps its `null`, as 3.0 asks of a nullable enum. An `anyOf` with a `null`
 * branch loses that branch; a single branch left (not a `$ref`, whose siblings 3.0 ignores)
 * takes the place of the `anyOf`.
 */
function withoutNullType(schema: JsonObject): JsonObject {
  const types: unknown = schema.type;
  if (Array.isArray(types) && types.includes('null')) {
    const others = (types as unknown[]).filter((type) => type !== 'null');
    const converted: JsonObject = { ...schema, nullable: true };
    delete converted.type;
    if (others.length === 1) converted.type = others[0];
    else converted.anyOf = others.map((type) => ({ type }));
    return converted;
  }
  const anyOf: unknown = schema.anyOf;
  if (Array.isArray(anyOf) && anyOf.some(isNullSchema)) {
    const branches = anyOf.filter((branch) => !isNullSchema(branch));
    const converted: JsonObject = { ...schema, nullable: true };
    delete converted.anyOf;
    const only: unknown = branches[0];
    if (branches.length === 1 && isObject(only) && only.$ref === undefined) return { ...only, ...converted };
    return { ...converted, anyOf: branches };
  }
  return schema;
}

/** `node` and everything under it; `within` is the key `node` is found under. */
function openApi30(node: unknown, within = ''): unknown {
  if (Array.isArray(node)) return node.map((item) => openApi30(item));
  if (!isObject(node)) return node;
  // The keys of these are names (a property, a status: `default` is a response), never keywords.
  const named = within === 'properties' || within === 'responses';
  const converted: JsonObject = {};
  for (const [key, value] of Object.entries(node))
    converted[key] = !named && DATA_KEYWORDS.has(key) ? value : openApi30(value, named ? '' : key);
  return named ? converted : withoutNullType(converted);
}

/**
 * The whole document (routes and shared schemas) in OpenAPI 3.0.3's terms: the `transformObject`
 * of @fastify/swagger. The schemas the server validates and serializes with keep their type lists.
 */
export function documentedAsOpenApi30<D extends { openapiObject?: object; swaggerObject?: object }>(
  document: D,
): NonNullable<D['openapiObject'] | D['swaggerObject']> {
  return openApi30(document.openapiObject ?? document.swaggerObject) as NonNullable<
    D['openapiObject'] | D['swaggerObject']
  >;
}
