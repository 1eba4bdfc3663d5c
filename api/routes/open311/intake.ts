/**
 * A GeoReport v2 service request as the work order it becomes: `service_code` is the category,
 * `description` the content, `first_name`/`last_name`/`phone` the requester, `address_string`
 * and `lat`/`long` the address (the district and street are read from the address's words when
 * it names them; otherwise triage places the appeal). A `media_url` is kept as a line of the
 * content, so the unit sees it; the picture stays where it is. `email`, `device_id` and
 * `account_id` are not kept: the hotline reaches requesters by phone.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listServices, placeInAddress } from '../../../db/queries/open311.js';
import type { StartAppealBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { PATTERNS } from '../../schemaTypes.js';

const Optional = (maxLength: number, options: Record<string, unknown> = {}) =>
  Type.Optional(Type.String({ minLength: 1, maxLength, ...options }));

/** The spec's fields of `POST requests`; no service has attributes, so `attribute[…]` is refused. */
export const PostRequestBody = Type.Object(
  {
    api_key: Optional(200),
    jurisdiction_id: Optional(100),
    service_code: Type.String({ minLength: 1, maxLength: 100 }),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    long: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    address_string: Optional(400),
    address_id: Optional(100),
    email: Optional(254),
    device_id: Optional(200),
    account_id: Optional(200),
    first_name: Optional(50),
    last_name: Optional(50),
    phone: Optional(40, { pattern: PATTERNS.phone.pattern }),
    description: Optional(4000),
    media_url: Optional(900, { pattern: '^https?://[^\\s]+$' }),
  },
  { additionalProperties: false },
);
export type PostRequest = Static<typeof PostRequestBody>;

const refused = (field: string, message: string) => new HttpError(400, `${field}: ${message}`, field, 'VALIDATION');

const CJK = /[\u3400-\u9fff]/;
/** `张` + `三` → `张三`; `Jane` + `Doe` → `Jane Doe`. */
function nameOf(first?: string, last?: string): string | undefined {
  if (!first && !last) return undefined;
  if (CJK.test(`${first ?? ''}${last ?? ''}`)) return `${last ?? ''}${first ?? ''}`;
  return [first, last].filter(Boolean).join(' ');
}

/** The work order a service request describes, checked field by field (400 naming the spec's field). */
export async function workOrderOf(app: FastifyInstance, body: PostRequest): Promise<Static<typeof StartAppealBody>> {
  const [service] = await listServices(app.db, body.service_code);
  if (!service) throw refused('service_code', `service_code ${body.service_code} not found (see services.json)`);
  if ((body.lat === undefined) !== (body.long === undefined)) throw refused('long', 'lat and long go together');
  if (body.address_id !== undefined && body.address_string === undefined && body.lat === undefined)
    throw refused('address_id', 'no address ids are published here: send address_string or lat and long');
  if (body.address_string === undefined && body.lat === undefined)
    throw refused('address_string', 'a location is required: address_string, or lat and long');
  if (!body.description?.trim()) throw refused('description', 'required: what the appeal is about');

  const coordinates = body.lat !== undefined ? `${body.lat}, ${body.long}` : undefined;
  const address = body.address_string
    ? `${body.address_string}${coordinates ? ` (${coordinates})` : ''}`
    : coordinates!;
  const place = body.address_string ? await placeInAddress(app.db, body.address_string) : {};
  const name = nameOf(body.first_name, body.last_name);
  return {
    channel: 'app',
    appealType: 'help',
    categoryCode: service.code,
    content: body.media_url ? `${body.description}\n\n图片/视频：${body.media_url}` : body.description,
    ...place,
    address,
    requester: { ...(name ? { name } : {}), ...(body.phone ? { phone: body.phone } : {}) },
  };
}
