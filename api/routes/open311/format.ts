/**
 * Open311 GeoReport v2 answers in the format the path's extension asks for (`.json` or `.xml`),
 * with the spec's element names: `<services><service>`, `<service_definition>`,
 * `<service_requests><request>`, `<errors><error>`. Fields with no value are left out.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

/** The format a request's path asks for; JSON when it names none (a path that matched no route). */
export const formatOf = (request: FastifyRequest): Format =>
  /\.xml$/i.test(request.url.split('?')[0]!) ? 'xml' : 'json';

// Values are escaped (&, <, > …); element names are ours.
const builder = new XMLBuilder({ format: true, indentBy: '  ', processEntities: true });

type Fields = Record<string, unknown>;

/** Drops the fields without a value: the spec leaves them out. */
const present = (fields: Fields): Fields =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));

const xml = (document: Fields): string => `<?xml version="1.0" encoding="utf-8"?>\n${builder.build(document)}`;

/** A list answer: a JSON array, or `<root><item>…</item>…</root>`. */
export function sendList(
  reply: FastifyReply,
  format: Format,
  root: string,
  item: string,
  items: Fields[],
): FastifyReply {
  const kept = items.map(present);
  if (format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(kept));
  return reply.type('application/xml; charset=utf-8').send(xml({ [root]: kept.length ? { [item]: kept } : '' }));
}

/** A single object answer: a JSON object, or `<root>…</root>`. */
export function sendObject(reply: FastifyReply, format: Format, root: string, fields: Fields): FastifyReply {
  const kept = present(fields);
  if (format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(kept));
  return reply.type('application/xml; charset=utf-8').send(xml({ [root]: kept }));
}

/** The spec's error list, in the format asked for. */
export function renderErrors(
  format: Format,
  errors: { code: number; description: string }[],
): {
  type: string;
  body: string;
} {
  if (format === 'json') return { type: 'application/json; charset=utf-8', body: JSON.stringify(errors) };
  return { type: 'application/xml; charset=utf-8', body: xml({ errors: { error: errors } }) };
}
