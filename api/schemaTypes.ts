/**
 * Schema forms the response serializer writes without validating. fast-json-stringify serializes
 * an `anyOf` by trying each branch with ajv for every value; a type array (`type: ['string',
 * 'null']`) and an `enum` compile to plain `typeof` checks. So a nullable value is one schema with
 * a type array, and a choice of strings an `enum`, with the static types of the unions they stand
 * for. The OpenAPI document shows a type array as 3.0's `nullable: true` (`openapiShape.ts`).
 *
 * Both carry a kind of their own, registered here, so TypeBox's `Value` checks them as ajv does.
 */
import {
  Kind,
  Type,
  TypeRegistry,
  type SchemaOptions,
  type Static,
  type TSchema,
  type TUnion,
  type TUnsafe,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { MONTH_PATTERN } from '../domain/months.js';

const STRING_ENUM = 'StringEnum';
const NULLABLE = 'Nullable';
const DISCRIMINATED = 'Discriminated';
/** The schema a nullable one admits besides null (for `Value`; JSON consumers do not see symbols). */
const NonNull = Symbol('NonNull');

TypeRegistry.Set<{ enum: readonly string[] }>(
  STRING_ENUM,
  (schema, value) => typeof value === 'string' && schema.enum.includes(value),
);
TypeRegistry.Set<{ [NonNull]: TSchema }>(
  NULLABLE,
  (schema, value) => value === null || Value.Check(schema[NonNull], value),
);

TypeRegistry.Set<{ oneOf: TSchema[] }>(
  DISCRIMINATED,
  (schema, value) => schema.oneOf.filter((branch) => Value.Check(branch, value)).length === 1,
);

/**
 * One of `branches`, told apart by the value of `propertyName` (a `const` or `enum` in each):
 * `oneOf` with OpenAPI's `discriminator`, which ajv honours (`discriminator: true`). A refusal
 * then names what is wrong in the branch the body chose (`body/reason` for a closing triage
 * without a reason), not that the other branches' tags differ.
 */
export function Discriminated<T extends TSchema[]>(
  propertyName: string,
  branches: [...T],
  options: SchemaOptions = {},
): TUnsafe<Static<TUnion<T>>> {
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    [Kind]: DISCRIMINATED,
    type: 'object',
    oneOf: branches,
    discriminator: { propertyName },
  });
}

/**
 * One of `values`: `{ type: 'string', enum: values }`, typed as the union of their literals
 * (`StringEnum<string>(values)` types it `string`).
 */
export function StringEnum<T extends string>(values: readonly T[], options: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, [Kind]: STRING_ENUM, type: 'string', enum: [...values] });
}

/**
 * `schema` or null. A schema of one type (string, number, integer, boolean, object with its
 * properties, array with its items, a `StringEnum`) gets `null` added to its type, and to its
 * `enum` or `const` if it has one; its other keywords stay. A schema without a single type (a
 * union, a reference) gets null as one more `anyOf` branch, the one form left to it.
 */
export function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnsafe<Static<T> | null> {
  if (typeof schema.type !== 'string' || schema.type === 'null')
    return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()], options));
  const { const: constant, enum: values } = schema as { const?: unknown; enum?: unknown[] };
  const allowed = constant !== undefined ? [constant] : values;
  // Another schema, not a second copy of one with an $id.
  const keywords: Record<string, unknown> = { ...schema };
  for (const keyword of ['$id', 'const', 'enum']) delete keywords[keyword];
  return Type.Unsafe<Static<T> | null>({
    ...keywords,
    ...options,
    [Kind]: NULLABLE,
    [NonNull]: schema,
    type: [schema.type, 'null'],
    ...(allowed ? { enum: [...allowed, null] } : {}),
  });
}

/**
 * The patterns the request schemas use, each with what it means in words: a refusal says the
 * meaning (`must not be blank`), not ajv's `must match pattern "\S"`.
 */
export const PATTERNS = {
  // At least one character that shows: not white space, nor an invisible format character
  // (zero-width space and joiners, word joiner, byte order mark, soft hyphen).
  notBlank: { pattern: '[^\\s\\u00ad\\u200b-\\u200f\\u2060-\\u2064\\ufeff]', meaning: 'must not be blank' },
  phone: {
    pattern: '^\\+?(?:[0-9][ -]?){4,19}[0-9]$',
    meaning: 'must be a phone number: 5 to 20 digits, single spaces or hyphens between them (+ first allowed)',
  },
  id: { pattern: '^[A-Za-z0-9._:-]+$', meaning: 'must be an id: letters, digits and . _ : -' },
  month: { pattern: MONTH_PATTERN, meaning: 'must be a month, YYYY-MM (year 1000 or later)' },
} as const;

/** The meaning of a refused pattern, when it is one of `PATTERNS`. */
export function patternMeaning(pattern: unknown): string | undefined {
  return Object.values(PATTERNS).find((p) => p.pattern === pattern)?.meaning;
}
