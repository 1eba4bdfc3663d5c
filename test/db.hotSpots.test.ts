/**
 * Hot spots and 每月一题 (Art. 26, 27) and the dispatch accuracy (派单精准度) over rows written
 * directly: appeals received this month, last month and the same month last year, audit trails
 * of dispatches, objections and re-dispatches; every figure worked out by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { appeals, auditEvents, dispatchCatalogue } from '../db/schema/index.js';
import { hotSpots, HOT_SPOT_RULES } from '../db/queries/hotSpots.js';
import { dispatchAccuracy } from '../db/queries/supervision.js';

let database: TestDatabase;
let seq = 0;

interface Received {
  category: string;
  street: string | null;
  at: string;
  address?: string;
  n?: number;
}

/** Appeals as intake records them; answers their ids. */
async function receive(...specs: Received[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of specs)
    for (let i = 0; i < (s.n ?? 1); i++) {
      const id = `hot-${++seq}`;
      const receivedAt = new Date(new Date(s.at).getTime() + i * 60_000);
      await database.db.insert(appeals).values({
        id,
        workflowId: `appeal-${id}`,
        channel: 'phone',
        appealType: 'complaint',
        categoryCode: s.category,
        districtId: s.street ? s.street.split('-')[0]! : 'chaoyang',
        streetId: s.street,
        address: s.address ?? null,
        content: '测试',
        stage: 'closed',
        receivedAt,
      });
      ids.push(id);
    }
  return ids;
}

/** One case's audit trail, in order: [type, at, payload?]. */
async function trail(id: string, events: [string, string][]): Promise<void> {
  let n = 0;
  for (const [type, at] of events)
    await database.db.insert(auditEvents).values({
      appealId: id,
      seq: ++n,
      stepKey: `${type}-${n}`,
      type,
      actor: type === 'dispatch_objection' ? 'unit:x' : 'center',
      at: new Date(at),
    });
}

const OCT = '2026-10-15T02:00:00Z';
const SEP = '2026-09-15T02:00:00Z';
const OCT_2025 = '2025-10-15T02:00:00Z';

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('hot spots of a month', () => {
  let noiseIds: string[] = [];
  beforeAll(async () => {
    await receive(
      // urban.garbage: 12 in October from 3 streets, 4 in September, 9 in October 2025.
      { category: 'urban.garbage', street: 'chaoyang-jianwai', at: OCT, n: 4 },
      { category: 'urban.garbage', street: 'chaoyang-jianwai', at: OCT, n: 2, address: '建国门外大街1号' },
      { category: 'urban.garbage', street: 'chaoyang-sanlitun', at: OCT, n: 4 },
      // 00:30 on 1 October in Beijing (still 30 September in UTC): October.
      { category: 'urban.garbage', street: 'haidian-wanshoulu', at: '2026-09-30T16:30:00Z' },
      { category: 'urban.garbage', street: 'haidian-wanshoulu', at: OCT },
      // 00:30 on 1 November in Beijing: November, not October.
      { category: 'urban.garbage', street: 'haidian-wanshoulu', at: '2026-10-31T16:30:00Z' },
      { category: 'urban.garbage', street: 'chaoyang-jianwai', at: SEP, n: 4 },
      { category: 'urban.garbage', street: 'chaoyang-jianwai', at: OCT_2025, n: 9 },
      // environment.noise: 5 in October, none in September, 2 in October 2025; one address thrice.
      { category: 'environment.noise', street: 'chaoyang-sanlitun', at: OCT, n: 2 },
      { category: 'environment.noise', street: 'chaoyang-sanlitun', at: OCT_2025, n: 2 },
      // traffic.parking: 6 in October, 2 in September; the noisy address in another street is another place.
      { category: 'traffic.parking', street: 'dongcheng-jingshan', at: OCT, n: 5 },
      { category: 'traffic.parking', street: 'dongcheng-jingshan', at: OCT, address: '工体北路8号' },
      { category: 'traffic.parking', street: 'dongcheng-jingshan', at: SEP, n: 2 },
      // housing.property_fee: 3 in October after 10 in September: falling.
      { category: 'housing.property_fee', street: 'chaoyang-jianwai', at: OCT, n: 3 },
      { category: 'housing.property_fee', street: 'chaoyang-jianwai', at: SEP, n: 10 },
      // No street: counts for its category, never as a pair.
      { category: 'housing.property_fee', street: null, at: OCT },
    );
    noiseIds = await receive(
      {
        category: 'environment.noise',
        street: 'chaoyang-sanlitun',
        at: '2026-10-03T02:00:00Z',
        address: '工体北路8号',
      },
      {
        category: 'environment.noise',
        street: 'chaoyang-sanlitun',
        at: '2026-10-04T02:00:00Z',
        address: ' 工体北路 8号',
      },
      {
        category: 'environment.noise',
        street: 'chaoyang-sanlitun',
        at: '2026-10-05T02:00:00Z',
        address: '工体北路8号',
      },
    );
  });

  it('ranks category × street pairs, finds rising categories, recurring addresses and 每月一题 candidates', async () => {
    const spots = await hotSpots(database.db, '2026-10');
    expect(spots.month).toBe('2026-10');
    expect(spots.top).toEqual([
      // Ties (6, 6) by category code.
      pair('traffic.parking', '停车管理', 'dongcheng-jingshan', '景山街道', 'dongcheng', 6, 2, 0),
      pair('urban.garbage', '垃圾清运与分类', 'chaoyang-jianwai', '建外街道', 'chaoyang', 6, 4, 9),
      pair('environment.noise', '社会生活噪声', 'chaoyang-sanlitun', '三里屯街道', 'chaoyang', 5, 0, 2),
      pair('urban.garbage', '垃圾清运与分类', 'chaoyang-sanlitun', '三里屯街道', 'chaoyang', 4, 0, 0),
      pair('housing.property_fee', '物业费', 'chaoyang-jianwai', '建外街道', 'chaoyang', 3, 10, 0),
      pair('urban.garbage', '垃圾清运与分类', 'haidian-wanshoulu', '万寿路街道', 'haidian', 2, 0, 0),
    ]);
    expect(spots.risingCategories).toEqual([
      { categoryId: 'urban.garbage', categoryName: '垃圾清运与分类', count: 12, lastMonth: 4, change: 8, ratio: 3 },
      { categoryId: 'environment.noise', categoryName: '社会生活噪声', count: 5, lastMonth: 0, change: 5, ratio: null },
      { categoryId: 'traffic.parking', categoryName: '停车管理', count: 6, lastMonth: 2, change: 4, ratio: 3 },
    ]);
    expect(spots.recurringAddresses).toEqual([
      { streetId: 'chaoyang-sanlitun', address: '工体北路8号', count: 3, appealIds: noiseIds },
    ]);
    expect(spots.monthlyTopics).toEqual([
      {
        categoryId: 'urban.garbage',
        categoryName: '垃圾清运与分类',
        count: 12,
        lastMonth: 4,
        lastYear: 9,
        streets: 3,
        reason: '本月12件，涉及3个街乡；较上月+8；较去年同期+3',
      },
    ]);
  });

  it('follows the rules given: thresholds and lengths', async () => {
    const spots = await hotSpots(database.db, '2026-10', {
      ...HOT_SPOT_RULES,
      topPairs: 2,
      risingLimit: 1,
      topicMinCount: 5,
      topicMinStreets: 1,
    });
    expect(spots.top.map((t) => [t.categoryId, t.streetId])).toEqual([
      ['traffic.parking', 'dongcheng-jingshan'],
      ['urban.garbage', 'chaoyang-jianwai'],
    ]);
    expect(spots.risingCategories.map((r) => r.categoryId)).toEqual(['urban.garbage']);
    // property fees (4) stay out: below the count; noise (5 ≥ 0) and parking (6 ≥ 2) are in.
    expect(spots.monthlyTopics.map((t) => t.categoryId)).toEqual([
      'urban.garbage',
      'traffic.parking',
      'environment.noise',
    ]);
  });

  it('answers empty lists for a month without appeals', async () => {
    expect(await hotSpots(database.db, '2020-02')).toEqual({
      month: '2020-02',
      top: [],
      risingCategories: [],
      recurringAddresses: [],
      monthlyTopics: [],
    });
  });
});

const pair = (
  categoryId: string,
  categoryName: string,
  streetId: string,
  streetName: string,
  districtId: string,
  count: number,
  lastMonth: number,
  lastYear: number,
) => ({ categoryId, categoryName, streetId, streetName, districtId, count, lastMonth, lastYear });

describe('dispatch accuracy of a month', () => {
  const D = '2026-07-10T02:00:00Z';
  const LATER = '2026-08-02T02:00:00Z';
  let ruleOf: (category: string, scope: string, place?: string) => Promise<number>;

  beforeAll(async () => {
    ruleOf = async (category, scope, place) => {
      const [row] = await database.db
        .select({ id: dispatchCatalogue.id })
        .from(dispatchCatalogue)
        .where(
          and(
            eq(dispatchCatalogue.categoryCode, category),
            eq(dispatchCatalogue.scope, scope as 'city'),
            ...(scope === 'street' ? [eq(dispatchCatalogue.streetId, place!)] : []),
            ...(scope === 'district' ? [eq(dispatchCatalogue.districtId, place!)] : []),
          ),
        );
      return row!.id;
    };
    const at = (minutes: number, from = D) => new Date(new Date(from).getTime() + minutes * 60_000).toISOString();
    // Noise in Sanlitun: the street rule. One accepted; one objected and upheld.
    const [n1, n2] = await receive({ category: 'environment.noise', street: 'chaoyang-sanlitun', at: D, n: 2 });
    await trail(n1!, [
      ['dispatched', at(1)],
      ['accepted', at(2)],
    ]);
    await trail(n2!, [
      ['dispatched', at(1)],
      ['dispatch_objection', at(2)],
      ['objection_upheld', at(3)],
      ['accepted', at(4)],
    ]);
    // Noise elsewhere in Chaoyang: the district rule. Objected, granted and re-dispatched (in August: still July's case).
    const [n3] = await receive({ category: 'environment.noise', street: 'chaoyang-jianwai', at: D });
    await trail(n3!, [
      ['dispatched', at(1)],
      ['dispatch_objection', at(2)],
      ['objection_granted', at(0, LATER)],
      ['dispatched', at(1, LATER)],
    ]);
    // Noise in Dongcheng: the city rule. Objected twice: granted, then the second unit's upheld.
    const [n4] = await receive({ category: 'environment.noise', street: 'dongcheng-jingshan', at: D });
    await trail(n4!, [
      ['dispatched', at(1)],
      ['dispatch_objection', at(2)],
      ['objection_granted', at(3)],
      ['dispatched', at(4)],
      ['dispatch_objection', at(5)],
      ['objection_upheld', at(6)],
    ]);
    // Water in Chaoyang: the city rule; two clean dispatches.
    const water = await receive({ category: 'utilities.water.outage', street: 'chaoyang-jianwai', at: D, n: 2 });
    for (const id of water) await trail(id, [['dispatched', at(1)]]);
    // First dispatched in June: June's, not July's, although re-dispatched in July.
    const [june] = await receive({ category: 'utilities.water.outage', street: 'chaoyang-jianwai', at: D });
    await trail(june!, [
      ['dispatched', '2026-06-30T02:00:00Z'],
      ['dispatch_objection', '2026-06-30T03:00:00Z'],
      ['objection_granted', at(1)],
      ['dispatched', at(2)],
    ]);
    // Never dispatched (closed at triage): no dispatch at all.
    const [triaged] = await receive({ category: 'utilities.water.outage', street: 'chaoyang-jianwai', at: D });
    await trail(triaged!, [['triage_consultation_answered', at(1)]]);
  });

  it('counts dispatches, objections and re-dispatches per category and rule, accuracy per case', async () => {
    const result = await dispatchAccuracy(database.db, '2026-07');
    const counts = (
      dispatches: number,
      objectionsRaised: number,
      objectionsGranted: number,
      objectionsUpheld: number,
      redispatches: number,
      misdispatched: number,
      accuracy: number,
    ) => ({ dispatches, objectionsRaised, objectionsGranted, objectionsUpheld, redispatches, misdispatched, accuracy });
    // 6 cases; 2 misdispatched (n3, n4): 1 − 2/6.
    expect(result.total).toEqual(counts(6, 4, 2, 2, 2, 2, 0.6667));
    expect(result.categories).toEqual([
      // noise: 4 cases, 2 misdispatched: 1 − 2/4.
      { categoryCode: 'environment.noise', categoryName: '社会生活噪声', ...counts(4, 4, 2, 2, 2, 2, 0.5) },
      { categoryCode: 'utilities.water.outage', categoryName: '停水', ...counts(2, 0, 0, 0, 0, 0, 1) },
    ]);
    const street = await ruleOf('environment.noise', 'street', 'chaoyang-sanlitun');
    const district = await ruleOf('environment.noise', 'district', 'chaoyang');
    const noiseCity = await ruleOf('environment.noise', 'city');
    const waterCity = await ruleOf('utilities.water.outage', 'city');
    const rule = (
      id: number,
      scope: string,
      districtId: string | null,
      streetId: string | null,
      unitId: string | null,
      unitKind: string | null,
    ) => ({ id, scope, districtId, streetId, unitId, unitKind });
    expect(result.rules).toEqual([
      {
        categoryCode: 'environment.noise',
        categoryName: '社会生活噪声',
        rule: rule(street, 'street', 'chaoyang', 'chaoyang-sanlitun', null, 'street_of_location'),
        ...counts(2, 1, 0, 1, 0, 0, 1),
      },
      {
        categoryCode: 'utilities.water.outage',
        categoryName: '停水',
        rule: rule(waterCity, 'city', null, null, 'beijing-water', null),
        ...counts(2, 0, 0, 0, 0, 0, 1),
      },
      ...[
        {
          categoryCode: 'environment.noise',
          categoryName: '社会生活噪声',
          rule: rule(district, 'district', 'chaoyang', null, 'chaoyang-ecology', null),
          ...counts(1, 1, 1, 0, 1, 1, 0),
        },
        {
          categoryCode: 'environment.noise',
          categoryName: '社会生活噪声',
          rule: rule(noiseCity, 'city', null, null, null, 'street_of_location'),
          ...counts(1, 2, 1, 1, 1, 1, 0),
        },
      ].sort((a, b) => a.rule.id - b.rule.id),
    ]);
  });

  it('answers zeros and no rows for a month without dispatches', async () => {
    expect(await dispatchAccuracy(database.db, '2020-02')).toEqual({
      month: '2020-02',
      total: {
        dispatches: 0,
        objectionsRaised: 0,
        objectionsGranted: 0,
        objectionsUpheld: 0,
        redispatches: 0,
        misdispatched: 0,
        accuracy: null,
      },
      categories: [],
      rules: [],
    });
  });
});
