/**
 * Open311 GeoReport v2 against the spec's own examples: the resources, their field names and
 * shapes in JSON and XML, form-encoded POSTs, the error list, and the requester-token rule of
 * `requests/{id}`. The third-party clients' test is `test/open311.clients.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, TEST_KEYS, type ApiWorld } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-open311`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const BASE = '/open311/v2';
const parser = new XMLParser({ parseTagValue: false });
type XmlNode = Record<string, string>;
/** The spec's XML documents, as far as the tests read them. */
interface XmlDoc {
  services?: { service: XmlNode[] };
  service_definition?: XmlNode;
  service_requests?: { request: XmlNode };
  errors?: { error: XmlNode };
}
const xml = { parse: (body: string): XmlDoc => parser.parse(body) as XmlDoc };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The spec's example POST, in Beijing. */
const example = (extra: Record<string, string> = {}) => ({
  api_key: TEST_KEYS.intake.key,
  jurisdiction_id: 'beijing',
  service_code: 'utilities.water.outage',
  lat: '39.9087',
  long: '116.4605',
  address_string: '北京市朝阳区建外街道永安里小区3号楼',
  email: 'zhangsan@example.com',
  device_id: 'tt222111',
  account_id: '123456',
  first_name: '三',
  last_name: '张',
  phone: '13900000000',
  description: '小区停水两天，物业联系不上',
  media_url: 'https://photos.example.com/123_water.jpg',
  ...extra,
});

async function post(fields = example()): Promise<{ id: string; token: string }> {
  const res = await app.inject({ method: 'POST', url: `${BASE}/requests.json`, headers: FORM, payload: form(fields) });
  expect(res.statusCode, res.body).toBe(201);
  const [created] = res.json<{ service_request_id: string; requester_token: string }[]>();
  return { id: created!.service_request_id, token: created!.requester_token };
}

describe('GET services', () => {
  it('lists the catalogue’s leaves with Chinese names, grouped, in JSON and XML', async () => {
    const json = await app.inject(`${BASE}/services.json`);
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const services = json.json<Record<string, unknown>[]>();
    expect(services).toHaveLength(50);
    expect(services.find((s) => s.service_code === 'utilities.water.outage')).toEqual({
      service_code: 'utilities.water.outage',
      service_name: '停水',
      description: '供水 · 停水',
      metadata: false,
      type: 'realtime',
      keywords: 'utilities,water,outage',
      group: '供水',
    });

    const res = await app.inject(`${BASE}/services.xml?jurisdiction_id=beijing`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.body).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<services>\n {2}<service>/);
    const parsed = xml.parse(res.body) as { services: { service: XmlNode[] } };
    expect(parsed.services.service).toHaveLength(50);
    expect(parsed.services.service.find((s) => s.service_code === 'housing.elevator')).toMatchObject({
      service_name: '电梯故障与维修',
      metadata: 'false',
      type: 'realtime',
      group: '房屋与物业',
    });
  });

  it('answers a service definition, and the spec’s 404 error list for an unknown code or jurisdiction', async () => {
    const def = await app.inject(`${BASE}/services/utilities.water.outage.json`);
    expect(def.statusCode).toBe(200);
    expect(def.json()).toEqual({ service_code: 'utilities.water.outage', attributes: [] });
    const defXml = await app.inject(`${BASE}/services/utilities.water.outage.xml`);
    expect(xml.parse(defXml.body)).toEqual({
      '?xml': '',
      service_definition: { service_code: 'utilities.water.outage', attributes: '' },
    });

    const unknown = await app.inject(`${BASE}/services/no.such.service.json`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual([{ code: 404, description: 'service_code no.such.service not found' }]);
    const unknownXml = await app.inject(`${BASE}/services/no.such.service.xml`);
    expect(unknownXml.statusCode).toBe(404);
    expect(xml.parse(unknownXml.body).errors!.error).toEqual({
      code: '404',
      description: 'service_code no.such.service not found',
    });
    const nothing = await app.inject(`${BASE}/discovery.xml`);
    expect(nothing.statusCode).toBe(404);
    expect(xml.parse(nothing.body).errors!.error.description).toMatch(/is not a GeoReport v2 resource here/);
    const elsewhere = await app.inject(`${BASE}/services.json?jurisdiction_id=chicago`);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json<{ description: string }[]>()[0]!.description).toMatch(/jurisdiction_id chicago not found/);
  });
});

describe('POST requests', () => {
  it('starts an appeal from the spec’s form-encoded example and answers its number and the requester’s token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `${BASE}/requests.json`,
      headers: FORM,
      payload: form(example()),
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<Record<string, string>[]>();
    expect(body).toHaveLength(1);
    expect(Object.keys(body[0]!).sort()).toEqual([
      'account_id',
      'requester_token',
      'service_notice',
      'service_request_id',
    ]);
    const { service_request_id: number, requester_token: token } = body[0]!;
    expect(number).toMatch(/^\d{8}-\d{6}$/);
    expect(token).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(body[0]!.service_notice).toContain(number!);

    // The work order as the center reads it: the place read from the address, the photo's link kept in the content.
    const read = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${number}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({
      categoryCode: 'utilities.water.outage',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
      workOrder: {
        channel: 'app',
        appealType: 'help',
        content: '小区停水两天，物业联系不上\n\n图片/视频：https://photos.example.com/123_water.jpg',
        address: '北京市朝阳区建外街道永安里小区3号楼 (39.9087, 116.4605)',
        requester: { name: '张三', phone: '13900000000' },
      },
    });
    expect(read.body).not.toContain('zhangsan@example.com');

    // The same requester's status through /v1 with the token Open311 answered.
    const status = await app.inject({ url: `/v1/status/${number}`, headers: { 'x-requester-token': token! } });
    expect(status.statusCode, status.body).toBe(200);
  });

  it('takes JSON bodies and XML answers, replays an Idempotency-Key, and refuses in the spec’s error shape', async () => {
    const json = await app.inject({
      method: 'POST',
      url: `${BASE}/requests.xml`,
      headers: { 'idempotency-key': 'open311-json-1' },
      payload: {
        api_key: TEST_KEYS.intake.key,
        service_code: 'urban.street_light',
        lat: 39.9,
        long: 116.4,
        description: '路灯不亮',
      },
    });
    expect(json.statusCode, json.body).toBe(201);
    const created = xml.parse(json.body).service_requests!.request;
    expect(created.service_request_id).toMatch(/^\d{8}-\d{6}$/);
    const again = await app.inject({
      method: 'POST',
      url: `${BASE}/requests.xml`,
      headers: { 'idempotency-key': 'open311-json-1' },
      payload: {
        api_key: TEST_KEYS.intake.key,
        service_code: 'urban.street_light',
        lat: 39.9,
        long: 116.4,
        description: '路灯不亮',
      },
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(xml.parse(again.body).service_requests!.request.service_request_id).toBe(created.service_request_id);

    const refusals: [Record<string, string>, number, RegExp][] = [
      [example({ api_key: '' }), 403, /api_key was not provided or is invalid/],
      [example({ api_key: 'not-a-key' }), 403, /api_key was not provided or is invalid/],
      [example({ api_key: TEST_KEYS.supervisor.key }), 403, /role supervisor may not start appeals/],
      [example({ service_code: 'utilities' }), 400, /^service_code: service_code utilities not found/],
      [example({ address_string: '', lat: '', long: '' }), 400, /^address_string: a location is required/],
      [example({ long: '' }), 400, /^long: lat and long go together/],
      [example({ lat: '91' }), 400, /^lat: must be <= 90/],
      [example({ phone: 'call me' }), 400, /^phone: must be a phone number/],
      [example({ description: '' }), 400, /^description: required/],
      [example({ 'attribute[WHISPAWN]': '123456' }), 400, /must NOT have additional properties/],
      [example({ jurisdiction_id: 'chicago' }), 404, /jurisdiction_id chicago not found/],
    ];
    for (const [fields, code, description] of refusals) {
      const res = await app.inject({
        method: 'POST',
        url: `${BASE}/requests.json`,
        headers: FORM,
        payload: form(fields),
      });
      expect(res.statusCode, res.body).toBe(code);
      const [error, ...more] = res.json<{ code: number; description: string }[]>();
      expect(more).toEqual([]);
      expect(error!.code).toBe(code);
      expect(error!.description).toMatch(description);
    }
    const inXml = await app.inject({
      method: 'POST',
      url: `${BASE}/requests.xml`,
      headers: FORM,
      payload: form(example({ api_key: '' })),
    });
    expect(inXml.statusCode).toBe(403);
    expect(inXml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.parse(inXml.body).errors!.error.code).toBe('403');
  });
});

describe('GET requests/{id} and requests', () => {
  it('answers one request to its requester’s token or a key that sees it, and 404 to anyone else', async () => {
    const { id, token } = await post();
    const other = await post();
    const anonymous = await app.inject(`${BASE}/requests/${id}.json`);
    const wrong = await app.inject({
      url: `${BASE}/requests/${id}.json`,
      headers: { 'x-requester-token': other.token },
    });
    const unknown = await app.inject({
      url: `${BASE}/requests/20000101-999999.json`,
      headers: { 'x-requester-token': token },
    });
    for (const res of [anonymous, wrong, unknown]) expect(res.statusCode).toBe(404);
    expect(anonymous.json<{ description: string }[]>()[0]!.description).toBe(`service_request_id ${id} not found`);

    const mine = await app.inject({ url: `${BASE}/requests/${id}.json`, headers: { 'x-requester-token': token } });
    expect(mine.statusCode, mine.body).toBe(200);
    const [request] = mine.json<Record<string, string>[]>();
    expect(request).toEqual({
      service_request_id: id,
      status: 'open',
      status_notes: '热线中心正在研判您的诉求',
      service_name: '停水',
      service_code: 'utilities.water.outage',
      agency_responsible: '北京市民热线服务中心（12345）',
      requested_datetime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/) as unknown,
      updated_datetime: expect.stringMatching(/\+08:00$/) as unknown,
    });
    // Nothing personal: no name, phone, content, address or coordinates.
    for (const secret of ['张', '13900000000', '小区停水', '建外', '39.9087']) expect(mine.body).not.toContain(secret);

    const byQuery = await app.inject(`${BASE}/requests/${id}.xml?requester_token=${token}`);
    expect(byQuery.statusCode).toBe(200);
    expect(xml.parse(byQuery.body).service_requests!.request).toMatchObject({ service_request_id: id, status: 'open' });

    const byKey = await app.inject(`${BASE}/requests/${id}.json?api_key=${TEST_KEYS.center.key}`);
    expect(byKey.statusCode).toBe(200);
    const outsider = await app.inject(`${BASE}/requests/${id}.json?api_key=${TEST_KEYS.jianwai.key}`);
    expect(outsider.statusCode).toBe(404);

    // Dispatched and accepted: the unit in charge and the handling deadline, in Beijing time.
    expect(
      (
        await as(
          app,
          'center',
        )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } })
      ).statusCode,
    ).toBe(200);
    expect((await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} })).statusCode).toBe(
      200,
    );
    const handled = (
      await app.inject({ url: `${BASE}/requests/${id}.json`, headers: { 'x-requester-token': token } })
    ).json<Record<string, string>[]>()[0]!;
    expect(handled).toMatchObject({
      status: 'open',
      status_notes: '承办单位正在办理',
      agency_responsible: '北京市自来水集团有限责任公司',
      expected_datetime: expect.stringMatching(/\+08:00$/) as unknown,
    });

    const result = await as(
      app,
      'water',
    )({ method: 'POST', url: `/v1/appeals/${id}/result`, payload: { outcome: 'resolved', summary: '已恢复供水' } });
    expect(result.statusCode, result.body).toBe(200);
    const answered = (
      await app.inject({ url: `${BASE}/requests/${id}.json`, headers: { 'x-requester-token': token } })
    ).json<Record<string, string>[]>()[0]!;
    expect(answered.status_notes).toMatch(/。已解决：已恢复供水$/);
  });

  it('says a withdrawn request is withdrawn, in the list as in the single view', async () => {
    const { id, token } = await post();
    const withdrawn = await app.inject({
      method: 'POST',
      url: `/v1/appeals/${id}/withdraw`,
      headers: { authorization: `Bearer ${TEST_KEYS.intake.key}` },
      payload: { reason: '问题已自行解决' },
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const one = await app.inject({ url: `${BASE}/requests/${id}.json`, headers: { 'x-requester-token': token } });
    const list = await app.inject(`${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&service_request_id=${id}`);
    const [single] = one.json<{ status: string; status_notes: string }[]>();
    const [listed] = list.json<{ status: string; status_notes: string }[]>();
    expect(single).toMatchObject({ status: 'closed', status_notes: expect.stringMatching(/^已撤回/) as string });
    expect(listed).toMatchObject({ status: 'closed', status_notes: '已撤回' });
  });

  it('lists recent requests for a key holder, filtered as the spec says, with no personal data', async () => {
    const { id } = await post();
    const anonymous = await app.inject(`${BASE}/requests.json`);
    expect(anonymous.statusCode).toBe(403);

    const all = await app.inject(`${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}`);
    expect(all.statusCode).toBe(200);
    const listed = all.json<Record<string, string>[]>();
    expect(listed.map((r) => r.service_request_id)).toContain(id);
    for (const secret of ['13900000000', '小区停水', '建外']) expect(all.body).not.toContain(secret);

    const byId = await app.inject(
      `${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&service_request_id=${id},nope&status=closed`,
    );
    expect(byId.json<Record<string, string>[]>().map((r) => r.service_request_id)).toEqual([id]);
    const closed = await app.inject(`${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&status=closed`);
    expect(closed.json<Record<string, string>[]>().map((r) => r.service_request_id)).not.toContain(id);
    const otherService = await app.inject(
      `${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&service_code=housing.elevator`,
    );
    expect(otherService.json<Record<string, string>[]>().map((r) => r.service_request_id)).not.toContain(id);
    const xmlList = await app.inject(`${BASE}/requests.xml?api_key=${TEST_KEYS.intake.key}&service_request_id=${id}`);
    expect(xml.parse(xmlList.body).service_requests!.request.service_request_id).toBe(id);

    const tooWide = await app.inject(
      `${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`,
    );
    expect(tooWide.statusCode).toBe(400);
    expect(tooWide.json()).toEqual([{ code: 400, description: 'start_date: the window may span at most 90 days' }]);
    const backwards = await app.inject(
      `${BASE}/requests.json?api_key=${TEST_KEYS.intake.key}&start_date=2026-12-01T00:00:00Z&end_date=2026-11-01T00:00:00Z`,
    );
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json()).toEqual([{ code: 400, description: 'end_date: must be after start_date' }]);
    // A unit's key lists only the appeals its unit is in.
    const unit = await app.inject(`${BASE}/requests.json?api_key=${TEST_KEYS.jianwai.key}&service_request_id=${id}`);
    expect(unit.json()).toEqual([]);
  });
});
