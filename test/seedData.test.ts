import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { POLICY_WINDOW_NAMES } from '../db/queries/reference.js';
import type {
  AssessmentWeightsRecord,
  CategoryRecord,
  DeadlinePolicyRecord,
  DispatchCatalogueRecord,
  DistrictRecord,
  KnowledgeBaseRecord,
  StreetRecord,
  UnitRecord,
} from '../db/seed/data/types.js';

const load = <T>(file: string): T[] =>
  JSON.parse(readFileSync(new URL(`../db/seed/data/${file}`, import.meta.url), 'utf8')) as T[];

const districts = load<DistrictRecord>('districts.json');
const streets = load<StreetRecord>('streets.json');
const units = load<UnitRecord>('units.json');
const categories = load<CategoryRecord>('categories.json');
const catalogue = load<DispatchCatalogueRecord>('dispatchCatalogue.json');
const policies = load<DeadlinePolicyRecord>('deadlinePolicies.json');
const knowledgeBase = load<KnowledgeBaseRecord>('knowledgeBase.json');
const weights = load<AssessmentWeightsRecord>('assessmentWeights.json');

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const duplicates = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

const districtIds = new Set(districts.map((d) => d.id));
const streetById = new Map(streets.map((s) => [s.id, s]));
const unitById = new Map(units.map((u) => [u.id, u]));
const categoryCodes = new Set(categories.map((c) => c.code));
const parentCodes = new Set(categories.flatMap((c) => (c.parent ? [c.parent] : [])));
const leaves = categories.filter((c) => !parentCodes.has(c.code));
const policyCodes = new Set(policies.map((p) => p.code));

const UNIT_HOURS = { natural_hours: 1, natural_days: 24, working_days: 24 } as const;
const hours = (w: { amount: number; unit: keyof typeof UNIT_HOURS }) => w.amount * UNIT_HOURS[w.unit];

describe('districts and streets', () => {
  it('has the 16 districts with unique slug ids', () => {
    expect(districts).toHaveLength(16);
    expect(duplicates(districts.map((d) => d.id))).toEqual([]);
    for (const d of districts) {
      expect(d.id).toMatch(SLUG);
      expect(d.name).toMatch(/区$/);
      expect(d.nameEn).not.toBe('');
    }
  });

  it('has 300-360 streets and townships, each in an existing district', () => {
    expect(streets.length).toBeGreaterThanOrEqual(300);
    expect(streets.length).toBeLessThanOrEqual(360);
    expect(duplicates(streets.map((s) => s.id))).toEqual([]);
    for (const s of streets) {
      expect(districtIds.has(s.districtId), s.id).toBe(true);
      expect(s.id.startsWith(`${s.districtId}-`), s.id).toBe(true);
      expect(s.id).toMatch(SLUG);
      expect(['street', 'township']).toContain(s.kind);
      expect(s.kind === 'street', s.name).toBe(s.name.endsWith('街道'));
    }
    for (const d of districts) {
      expect(
        streets.some((s) => s.districtId === d.id),
        d.id,
      ).toBe(true);
    }
  });
});

describe('units', () => {
  it('has unique ids, also across streets (both are handling units)', () => {
    expect(duplicates(units.map((u) => u.id))).toEqual([]);
    expect(units.filter((u) => streetById.has(u.id))).toEqual([]);
    for (const u of units) expect(u.id).toMatch(SLUG);
  });

  it('has the hotline center and one government per district', () => {
    expect(unitById.get('hotline-center')?.kind).toBe('hotline_center');
    expect(units.filter((u) => u.kind === 'hotline_center')).toHaveLength(1);
    for (const d of districts) {
      expect(unitById.get(`${d.id}-gov`)).toMatchObject({
        kind: 'district_government',
        districtId: d.id,
      });
    }
  });

  it('references existing districts and categories', () => {
    for (const u of units) {
      const needsDistrict = u.kind === 'district_government' || u.kind === 'district_department';
      expect(u.districtId !== undefined, u.id).toBe(needsDistrict);
      if (u.districtId) expect(districtIds.has(u.districtId), u.id).toBe(true);
      if (u.kind === 'sector_authority') {
        expect(u.sectors?.length, u.id).toBeGreaterThan(0);
        for (const prefix of u.sectors ?? []) {
          expect(categoryCodes.has(prefix), `${u.id}: ${prefix}`).toBe(true);
        }
      } else {
        expect(u.sectors, u.id).toBeUndefined();
      }
      if (u.service) expect(u.kind, u.id).toBe('public_service_enterprise');
    }
  });

  it('has an enterprise for each utility, city departments and a central/military liaison', () => {
    for (const service of ['water', 'power', 'gas', 'heating']) {
      expect(
        units.some((u) => u.service === service),
        service,
      ).toBe(true);
    }
    expect(units.filter((u) => u.kind === 'city_department').length).toBeGreaterThanOrEqual(18);
    expect(units).toHaveLength(70);
    expect(units.some((u) => u.kind === 'district_department')).toBe(true);
    expect(units.some((u) => u.kind === 'central_military_liaison')).toBe(true);
  });
});

describe('categories', () => {
  it('is a tree of unique codes', () => {
    expect(duplicates(categories.map((c) => c.code))).toEqual([]);
    for (const c of categories) {
      expect(c.code).toMatch(/^[a-z_]+(\.[a-z_0-9]+)*$/);
      if (c.parent) {
        expect(categoryCodes.has(c.parent), c.code).toBe(true);
        expect(c.code.startsWith(`${c.parent}.`), c.code).toBe(true);
      } else {
        expect(c.code).not.toContain('.');
      }
      if (c.utility) expect(c.code.startsWith(`utilities.${c.utility}`), c.code).toBe(true);
    }
    expect(leaves.length).toBeGreaterThanOrEqual(30);
    expect(leaves.length).toBeLessThanOrEqual(50);
  });

  it('gives every leaf a city-level catalogue entry or a fallback note', () => {
    for (const leaf of leaves) {
      const hasCity = catalogue.some((e) => e.categoryCode === leaf.code && e.scope === 'city');
      expect(hasCity || Boolean(leaf.fallbackNote), leaf.code).toBe(true);
    }
  });
});

describe('dispatch catalogue', () => {
  it('references existing categories, units, policies, districts and streets', () => {
    for (const e of catalogue) {
      const key = JSON.stringify(e);
      expect(categoryCodes.has(e.categoryCode), key).toBe(true);
      expect(parentCodes.has(e.categoryCode), `${key} is not a leaf`).toBe(false);
      expect(policyCodes.has(e.policyCode), key).toBe(true);
      expect((e.unitId === undefined) !== (e.unitKind === undefined), key).toBe(true);
      if (e.unitId !== undefined) expect(unitById.has(e.unitId), key).toBe(true);
      if (e.unitKind !== undefined) {
        expect(['street_of_location', 'district_government']).toContain(e.unitKind);
      }
      if (e.districtId !== undefined) expect(districtIds.has(e.districtId), key).toBe(true);
      if (e.streetId !== undefined) {
        expect(streetById.get(e.streetId)?.districtId, key).toBe(e.districtId);
      }
      if (e.scope === 'city') expect([e.districtId, e.streetId], key).toEqual([undefined, undefined]);
      if (e.scope === 'district') {
        expect(e.districtId, key).toBeDefined();
        expect(e.streetId, key).toBeUndefined();
      }
      if (e.scope === 'street') expect(e.streetId, key).toBeDefined();
      // A district department serves only its own district.
      const unit = e.unitId === undefined ? undefined : unitById.get(e.unitId);
      if (unit?.districtId !== undefined) expect(e.districtId, key).toBe(unit.districtId);
    }
  });

  it('has one entry per category and place, and overrides at district and street level', () => {
    const keys = catalogue.map((e) => `${e.categoryCode}|${e.scope}|${e.districtId}|${e.streetId}`);
    expect(duplicates(keys)).toEqual([]);
    expect(catalogue.filter((e) => e.scope === 'district').length).toBeGreaterThanOrEqual(3);
    expect(catalogue.filter((e) => e.scope === 'street').length).toBeGreaterThanOrEqual(2);
    // environment.noise is overridden at both levels, to test precedence.
    const noise = catalogue.filter((e) => e.categoryCode === 'environment.noise');
    expect(noise.map((e) => e.scope).sort()).toEqual(['city', 'district', 'street']);
  });

  it('sends utility categories to a matching enterprise by default', () => {
    for (const leaf of leaves.filter((c) => c.utility)) {
      const city = catalogue.find((e) => e.categoryCode === leaf.code && e.scope === 'city');
      const unit = city?.unitId === undefined ? undefined : unitById.get(city.unitId);
      expect(unit?.service, leaf.code).toBe(leaf.utility);
      expect(['utility-24h', 'emergency'], leaf.code).toContain(city?.policyCode);
    }
  });
});

describe('deadline policies', () => {
  it('includes the required policies with unique (code, version)', () => {
    for (const code of ['emergency', 'utility-24h', 'general', 'complex']) {
      expect(policyCodes.has(code), code).toBe(true);
    }
    expect(duplicates(policies.map((p) => `${p.code}@${p.version}`))).toEqual([]);
  });

  it('has every window with a valid amount and unit', () => {
    for (const p of policies) {
      expect(Object.keys(p.windows).sort(), p.code).toEqual([...POLICY_WINDOW_NAMES].sort());
      for (const name of POLICY_WINDOW_NAMES) {
        const w = p.windows[name];
        expect(Number.isFinite(w.amount) && w.amount > 0, `${p.code}.${name}`).toBe(true);
        expect(Object.keys(UNIT_HOURS), `${p.code}.${name}`).toContain(w.unit);
        if (w.unit === 'working_days') expect(Number.isInteger(w.amount)).toBe(true);
      }
    }
  });

  it('keeps windows consistent', () => {
    for (const p of policies) {
      const w = p.windows;
      expect(w.acceptance.unit, p.code).toBe('natural_hours');
      expect(w.acceptance.amount, p.code).toBeLessThanOrEqual(4);
      expect(hours(w.coHandler), p.code).toBeLessThan(hours(w.handling));
      expect(hours(w.callbackAttempt) * p.callbackMaxAttempts, p.code).toBeLessThanOrEqual(hours(w.callbackWindow));
      expect(p.callbackMaxAttempts, p.code).toBeGreaterThanOrEqual(1);
      expect(p.acceptanceReminderLimit, p.code).toBeGreaterThanOrEqual(0);
      expect(p.escalationLevels, p.code).toBeGreaterThanOrEqual(1);
      expect(typeof p.callbackOnResult, p.code).toBe('boolean');
      expect(p.description.length, p.code).toBeGreaterThan(10);
    }
  });

  it('has the per-policy rules, consistent with the limits and windows', () => {
    for (const p of policies) {
      expect(p.warningFractions.length, p.code).toBeGreaterThan(0);
      p.warningFractions.forEach((f, i) => {
        expect(f > 0 && f < 1, `${p.code}: ${f}`).toBe(true);
        if (i > 0) expect(f, p.code).toBeGreaterThan(p.warningFractions[i - 1]!);
      });
      expect(Number.isInteger(p.rehandlingCap) && p.rehandlingCap >= 0, p.code).toBe(true);
      expect(p.coHandlerMarginHours, p.code).toBeGreaterThanOrEqual(0);
      expect(p.coHandlerMarginHours, p.code).toBeLessThan(hours(p.windows.handling));
      expect(['main_deadline', 'co_handler_window'], p.code).toContain(p.coHandlerWhenShort);
      expect(p.reminderLimits, p.code).toHaveLength(p.escalationLevels + 1);
      expect(p.reminderLimits[0], p.code).toBe(p.acceptanceReminderLimit);
      for (const n of p.reminderLimits) expect(Number.isInteger(n) && n >= 0, p.code).toBe(true);
      expect(Number.isInteger(p.duplicateWindowDays) && p.duplicateWindowDays >= 1, p.code).toBe(true);
      expect(p.cityEscalationUnitId, p.code).toBe('city-joint-office');
    }
    expect(unitById.get('city-joint-office')).toEqual({
      id: 'city-joint-office',
      name: '北京市接诉即办工作专班（市级统筹协调）',
      kind: 'city_department',
    });
    const byCode = (code: string) => policies.find((p) => p.code === code)!;
    expect(byCode('central-liaison').windows.centralFollowUp).toEqual({ amount: 5, unit: 'working_days' });
    expect(byCode('general').windows.centralFollowUp).toEqual({ amount: 2, unit: 'natural_days' });
  });

  it('matches the published standard: 2 h, 24 h, 7 days, 15 days', () => {
    const byCode = (code: string) => policies.find((p) => p.code === code)!;
    expect(byCode('emergency').windows.handling).toEqual({ amount: 2, unit: 'natural_hours' });
    expect(byCode('utility-24h').windows.handling).toEqual({ amount: 24, unit: 'natural_hours' });
    expect(byCode('general').windows.handling.amount).toBe(7);
    expect(byCode('complex').windows.handling.amount).toBe(15);
  });

  it('has valid dates, appeal types and non-overlapping versions', () => {
    const types = ['consultation', 'help', 'complaint', 'report', 'suggestion'];
    for (const p of policies) {
      expect(p.validFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (p.validTo) expect(p.validTo > p.validFrom, p.code).toBe(true);
      if (p.appealTypes !== null) {
        expect(p.appealTypes.length, p.code).toBeGreaterThan(0);
        for (const t of p.appealTypes) expect(types).toContain(t);
      }
    }
    for (const code of policyCodes) {
      const versions = policies.filter((p) => p.code === code).sort((a, b) => a.validFrom.localeCompare(b.validFrom));
      for (let i = 1; i < versions.length; i++) {
        const prevTo = versions[i - 1]!.validTo;
        expect(prevTo != null && prevTo <= versions[i]!.validFrom, code).toBe(true);
      }
    }
    // Every appeal type excluded by some policy is covered by a policy that lists it.
    for (const t of types) {
      if (policies.some((p) => p.appealTypes !== null && !p.appealTypes.includes(t as never))) {
        expect(
          policies.some((p) => p.appealTypes?.includes(t as never)),
          t,
        ).toBe(true);
      }
    }
  });
});

describe('knowledge base', () => {
  it('has 30-40 answers with unique ids and valid categories', () => {
    expect(knowledgeBase.length).toBeGreaterThanOrEqual(30);
    expect(knowledgeBase.length).toBeLessThanOrEqual(40);
    expect(duplicates(knowledgeBase.map((k) => k.id))).toEqual([]);
    for (const k of knowledgeBase) {
      expect(k.id).toMatch(SLUG);
      expect(k.title && k.question && k.answer, k.id).toBeTruthy();
      expect(k.answer, k.id).toMatch(/[\u4e00-\u9fff]/);
      expect(k.keywords.length, k.id).toBeGreaterThan(0);
      if (k.categoryCode !== undefined) expect(categoryCodes.has(k.categoryCode), k.id).toBe(true);
    }
  });

  it('cites no phone numbers beyond the well-known ones', () => {
    const allowed = new Set(['12345', '110', '119', '120', '122', '12315']);
    for (const k of knowledgeBase) {
      const text = [k.title, k.question, k.answer, ...k.keywords].join(' ');
      for (const n of text.match(/\d{3,}/g) ?? []) {
        expect(allowed.has(n), `${k.id}: ${n}`).toBe(true);
      }
    }
  });
});

describe('assessment weights', () => {
  it('has 2 versions, each summing to 1, one after the other', () => {
    expect(weights).toHaveLength(2);
    expect(weights.map((w) => [w.version, w.validFrom, w.validTo ?? null])).toEqual([
      [1, '2021-09-24', '2027-01-01'],
      [2, '2027-01-01', null],
    ]);
    for (const w of weights) expect(Math.round((w.response + w.resolution + w.satisfaction) * 1000)).toBe(1000);
  });
});
