/**
 * Loads the reference data in db/seed/data (reviewable JSON) into PostgreSQL: districts,
 * streets and townships, units, categories, the dispatch catalogue, the deadline policies
 * and the knowledge base. Idempotent: every row is upserted on its key in one transaction,
 * so re-running after editing a file applies the edit and re-running unchanged changes
 * nothing. Catalogue and knowledge-base rows that left the files are deleted; directory
 * rows and policy versions never are (cases refer to them).
 *
 * Deadline policies are versioned: an order keeps the (code, version) it was dispatched
 * with and its later deadlines are computed from that version. So a version that has come
 * into force is never edited (the seed refuses changes to its windows, limits, appeal
 * types or start): to change a policy, add a version with a later validFrom and close the
 * previous one with validTo = that date. The assessment weights are versioned the same way: a
 * month is scored with the version in force on its first day.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, getTableColumns, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database, Tx } from '../client.js';
import { entrySearchTerms } from '../queries/knowledge.js';
import { beijingDate, FALLBACK_POLICY_CODE, POLICY_WINDOW_NAMES } from '../queries/reference.js';
import { knowledgeBase } from '../schema/knowledge.js';
import { assessmentWeights, type AssessmentWeights } from '../schema/assessmentWeights.js';
import {
  categories,
  deadlinePolicies,
  dispatchCatalogue,
  districts,
  streets,
  units,
  type DeadlinePolicy,
  type NewDeadlinePolicy,
} from '../schema/reference.js';
import type {
  AssessmentWeightsRecord,
  CategoryRecord,
  DeadlinePolicyRecord,
  DispatchCatalogueRecord,
  DistrictRecord,
  KnowledgeBaseRecord,
  PolicyWindows,
  StreetRecord,
  UnitRecord,
} from './data/types.js';

/** Where the reference data files live. */
export const SEED_DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

export interface ReferenceData {
  districts: DistrictRecord[];
  streets: StreetRecord[];
  units: UnitRecord[];
  categories: CategoryRecord[];
  dispatchCatalogue: DispatchCatalogueRecord[];
  deadlinePolicies: DeadlinePolicyRecord[];
  knowledgeBase: KnowledgeBaseRecord[];
  assessmentWeights: AssessmentWeightsRecord[];
}

/** The reference data is inconsistent, or would edit a policy version in force. Nothing was written. */
export class SeedDataError extends Error {
  override name = 'SeedDataError';
  constructor(readonly problems: string[]) {
    super(`reference data rejected:\n  - ${problems.join('\n  - ')}`);
  }
}

export async function loadReferenceData(dataDir: string = SEED_DATA_DIR): Promise<ReferenceData> {
  const load = async <T>(name: keyof ReferenceData): Promise<T[]> =>
    JSON.parse(await readFile(join(dataDir, `${name}.json`), 'utf8')) as T[];
  return {
    districts: await load<DistrictRecord>('districts'),
    streets: await load<StreetRecord>('streets'),
    units: await load<UnitRecord>('units'),
    categories: await load<CategoryRecord>('categories'),
    dispatchCatalogue: await load<DispatchCatalogueRecord>('dispatchCatalogue'),
    deadlinePolicies: await load<DeadlinePolicyRecord>('deadlinePolicies'),
    knowledgeBase: await load<KnowledgeBaseRecord>('knowledgeBase'),
    assessmentWeights: await load<AssessmentWeightsRecord>('assessmentWeights'),
  };
}

export interface SeedOptions {
  /** Folder of the JSON files; db/seed/data by default. */
  dataDir?: string;
  /** "Today" for the policy-in-force guard; the current time by default. */
  now?: Date;
}

/** Upserts all reference data in one transaction; returns the row count of each table. */
export async function seedReferenceData(db: Database, options: SeedOptions = {}): Promise<Record<string, number>> {
  const data = await loadReferenceData(options.dataDir);
  const problems = checkConsistency(data);
  if (problems.length > 0) throw new SeedDataError(problems);
  const today = beijingDate(options.now ?? new Date());

  return db.transaction(async (tx) => {
    // Two processes seeding at once (API and worker starting together) take turns.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('jiesu:seed-reference-data'))`);

    await tx
      .insert(districts)
      .values(data.districts.map((d) => ({ id: d.id, name: d.name, nameEn: d.nameEn })))
      .onConflictDoUpdate({ target: districts.id, set: excludedColumns(districts, ['id']) });
    await tx
      .insert(streets)
      .values(
        data.streets.map((s) => ({
          id: s.id,
          districtId: s.districtId,
          name: s.name,
          kind: s.kind,
        })),
      )
      .onConflictDoUpdate({ target: streets.id, set: excludedColumns(streets, ['id']) });
    await tx
      .insert(units)
      .values(
        data.units.map((u) => ({
          id: u.id,
          name: u.name,
          kind: u.kind,
          districtId: u.districtId ?? null,
          service: u.service ?? null,
          sectors: u.sectors ?? [],
        })),
      )
      .onConflictDoUpdate({ target: units.id, set: excludedColumns(units, ['id']) });
    await tx
      .insert(categories)
      .values(
        data.categories.map((c) => ({
          code: c.code,
          name: c.name,
          parent: c.parent ?? null,
          utility: c.utility ?? null,
          fallbackNote: c.fallbackNote ?? null,
        })),
      )
      .onConflictDoUpdate({ target: categories.code, set: excludedColumns(categories, ['code']) });

    await upsertPolicies(tx, data.deadlinePolicies, today);
    await upsertWeights(tx, data.assessmentWeights, today);

    const entries = await tx
      .insert(dispatchCatalogue)
      .values(
        data.dispatchCatalogue.map((e) => ({
          categoryCode: e.categoryCode,
          scope: e.scope,
          districtId: e.districtId ?? null,
          streetId: e.streetId ?? null,
          unitId: e.unitId ?? null,
          unitKind: e.unitKind ?? null,
          policyCode: e.policyCode,
        })),
      )
      .onConflictDoUpdate({
        target: [
          dispatchCatalogue.categoryCode,
          dispatchCatalogue.scope,
          dispatchCatalogue.districtId,
          dispatchCatalogue.streetId,
        ],
        set: excludedColumns(dispatchCatalogue, ['id', 'categoryCode', 'scope', 'districtId', 'streetId']),
      })
      .returning({ id: dispatchCatalogue.id });
    await tx.delete(dispatchCatalogue).where(
      notInArray(
        dispatchCatalogue.id,
        entries.map((e) => e.id),
      ),
    );

    await tx
      .insert(knowledgeBase)
      .values(
        data.knowledgeBase.map((k) => ({
          id: k.id,
          title: k.title,
          question: k.question,
          answer: k.answer,
          keywords: k.keywords,
          categoryCode: k.categoryCode ?? null,
          searchTerms: entrySearchTerms(k),
        })),
      )
      .onConflictDoUpdate({
        target: knowledgeBase.id,
        set: excludedColumns(knowledgeBase, ['id']),
      });
    await tx.delete(knowledgeBase).where(
      notInArray(
        knowledgeBase.id,
        data.knowledgeBase.map((k) => k.id),
      ),
    );

    const tables = {
      districts,
      streets,
      units,
      categories,
      dispatch_catalogue: dispatchCatalogue,
      deadline_policies: deadlinePolicies,
      knowledge_base: knowledgeBase,
    };
    const counts: Record<string, number> = {};
    for (const [name, table] of Object.entries(tables)) {
      const [row] = await tx.select({ n: count() }).from(table as PgTable);
      counts[name] = row?.n ?? 0;
    }
    return counts;
  });
}

/** `set` for an upsert: every column but the key takes the proposed row's value. */
function excludedColumns(table: PgTable, keys: string[]): Record<string, SQL> {
  const set: Record<string, SQL> = {};
  for (const [property, column] of Object.entries(getTableColumns(table))) {
    if (!keys.includes(property)) set[property] = sql.raw(`excluded."${column.name}"`);
  }
  return set;
}

async function upsertPolicies(tx: Tx, records: DeadlinePolicyRecord[], today: string): Promise<void> {
  const rows: NewDeadlinePolicy[] = records.map((p) => ({
    code: p.code,
    version: p.version,
    validFrom: p.validFrom,
    validTo: p.validTo ?? null,
    appealTypes: p.appealTypes,
    description: p.description,
    windows: p.windows,
    acceptanceReminderLimit: p.acceptanceReminderLimit,
    callbackMaxAttempts: p.callbackMaxAttempts,
    escalationLevels: p.escalationLevels,
    callbackOnResult: p.callbackOnResult,
    warningFractions: p.warningFractions,
    rehandlingCap: p.rehandlingCap,
    coHandlerMarginHours: p.coHandlerMarginHours,
    coHandlerWhenShort: p.coHandlerWhenShort,
    reminderLimits: p.reminderLimits,
    duplicateWindowDays: p.duplicateWindowDays,
    cityEscalationUnitId: p.cityEscalationUnitId,
  }));
  const existing = await tx
    .select()
    .from(deadlinePolicies)
    .where(
      inArray(
        deadlinePolicies.code,
        rows.map((r) => r.code),
      ),
    );
  const byKey = new Map(existing.map((p) => [`${p.code}@${p.version}`, p]));
  const problems: string[] = [];
  for (const row of rows) {
    const stored = byKey.get(`${row.code}@${row.version}`);
    if (!stored || stored.validFrom > today) continue;
    const changed = changedRules(stored, row);
    if (changed.length > 0) {
      problems.push(
        `policy ${row.code} version ${row.version} is in force since ${stored.validFrom}; its ${changed.join(', ')} cannot change ` +
          `(add version ${row.version + 1} with a later validFrom and set this version's validTo to that date)`,
      );
    }
  }
  if (problems.length > 0) throw new SeedDataError(problems);

  await tx
    .insert(deadlinePolicies)
    .values(rows)
    .onConflictDoUpdate({
      target: [deadlinePolicies.code, deadlinePolicies.version],
      set: excludedColumns(deadlinePolicies, ['code', 'version']),
    });

  const overlaps = await tx.execute<{ code: string; a: number; b: number }>(sql`
    select a.code, a.version as a, b.version as b
    from ${deadlinePolicies} a
    join ${deadlinePolicies} b on a.code = b.code and a.version < b.version
    where daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
    order by a.code, a.version, b.version`);
  if (overlaps.rows.length > 0) {
    throw new SeedDataError(
      overlaps.rows.map(
        (o) => `policy ${o.code}: versions ${o.a} and ${o.b} are in force at the same time (close ${o.a} with validTo)`,
      ),
    );
  }
}

/**
 * The composite's weights, versioned: a month already scored keeps the version in force on its
 * first day, so the weights and start of a version in force never change (validTo and the
 * description may). Versions are never deleted. Their rows are not in the returned counts.
 */
async function upsertWeights(tx: Tx, records: AssessmentWeightsRecord[], today: string): Promise<void> {
  const rows = records.map((w) => ({
    version: w.version,
    validFrom: w.validFrom,
    validTo: w.validTo ?? null,
    // numeric columns take their decimal text.
    response: String(w.response),
    resolution: String(w.resolution),
    satisfaction: String(w.satisfaction),
    description: w.description,
  }));
  const stored = new Map((await tx.select().from(assessmentWeights)).map((w) => [w.version, w]));
  const problems: string[] = [];
  for (const row of rows) {
    const old = stored.get(row.version);
    if (!old || old.validFrom > today) continue;
    const changed = WEIGHT_FROZEN_FIELDS.filter((field) =>
      field === 'validFrom' ? old.validFrom !== row.validFrom : Number(old[field]) !== Number(row[field]),
    );
    if (changed.length > 0) {
      problems.push(
        `assessment weights version ${row.version} are in force since ${old.validFrom}; its ${changed.join(', ')} cannot change ` +
          `(add version ${row.version + 1} with a later validFrom and set this version's validTo to that date)`,
      );
    }
  }
  if (problems.length > 0) throw new SeedDataError(problems);
  if (rows.length > 0) {
    await tx
      .insert(assessmentWeights)
      .values(rows)
      .onConflictDoUpdate({ target: assessmentWeights.version, set: excludedColumns(assessmentWeights, ['version']) });
  }
  const overlaps = await tx.execute<{ a: number; b: number }>(sql`
    select a.version as a, b.version as b
    from ${assessmentWeights} a
    join ${assessmentWeights} b on a.version < b.version
    where daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
    order by a.version, b.version`);
  if (overlaps.rows.length > 0) {
    throw new SeedDataError(
      overlaps.rows.map(
        (o) =>
          `assessment weights: versions ${o.a} and ${o.b} are in force at the same time (close ${o.a} with validTo)`,
      ),
    );
  }
}

const WEIGHT_FROZEN_FIELDS = [
  'validFrom',
  'response',
  'resolution',
  'satisfaction',
] as const satisfies readonly (keyof AssessmentWeights)[];

/** What an order relies on once a version is in force (validTo and the description may still change). */
const FROZEN_FIELDS = [
  'validFrom',
  'appealTypes',
  'windows',
  'acceptanceReminderLimit',
  'callbackMaxAttempts',
  'escalationLevels',
  'callbackOnResult',
] as const satisfies readonly (keyof DeadlinePolicy)[];

/**
 * A version stored before the later rules existed (its windows lack the window added with
 * them) carries the migration's defaults: the seed fills in that version's own values once.
 * From then on they are frozen like the rest.
 */
const LATER_FIELDS = [
  'warningFractions',
  'rehandlingCap',
  'coHandlerMarginHours',
  'coHandlerWhenShort',
  'reminderLimits',
  'duplicateWindowDays',
  'cityEscalationUnitId',
] as const satisfies readonly (keyof DeadlinePolicy)[];
const LATER_WINDOW = 'centralFollowUp' satisfies keyof PolicyWindows;

/** The frozen fields a proposed row would change on a version in force. */
function changedRules(stored: DeadlinePolicy, row: NewDeadlinePolicy): string[] {
  if (LATER_WINDOW in stored.windows) {
    return [...FROZEN_FIELDS, ...LATER_FIELDS].filter(
      (field) => canonical(stored[field]) !== canonical(row[field] ?? null),
    );
  }
  // The windows the stored version has may not change; the later window may be added.
  const windows = Object.fromEntries(Object.entries(row.windows).filter(([name]) => name in stored.windows));
  const proposed = { ...row, windows };
  return FROZEN_FIELDS.filter((field) => canonical(stored[field]) !== canonical(proposed[field] ?? null));
}

/** JSON with sorted keys (jsonb does not keep key order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** What the database's constraints cannot say, checked before anything is written. */
function checkConsistency(data: ReferenceData): string[] {
  const problems: string[] = [];
  const streetIds = new Set(data.streets.map((s) => s.id));
  for (const unit of data.units) {
    if (streetIds.has(unit.id))
      problems.push(`unit id '${unit.id}' is also a street id (a street's id is its unit id)`);
  }
  const policyCodes = new Set(data.deadlinePolicies.map((p) => p.code));
  if (!policyCodes.has(FALLBACK_POLICY_CODE)) problems.push(`the fallback policy '${FALLBACK_POLICY_CODE}' is missing`);
  for (const entry of data.dispatchCatalogue) {
    if (!policyCodes.has(entry.policyCode)) {
      problems.push(`catalogue entry ${entry.categoryCode}/${entry.scope} names unknown policy '${entry.policyCode}'`);
    }
    if (entry.streetId && !data.streets.some((s) => s.id === entry.streetId && s.districtId === entry.districtId)) {
      problems.push(
        `catalogue entry ${entry.categoryCode}/${entry.streetId}: the street is not in district '${entry.districtId}'`,
      );
    }
  }
  const versions = data.assessmentWeights.map((w) => w.version);
  if (versions.length === 0) problems.push('assessment weights: no version');
  for (const w of data.assessmentWeights) {
    const name = `assessment weights version ${w.version}`;
    if (!isCount(w.version, 1)) problems.push(`${name}: version must be a whole number >= 1`);
    if (versions.indexOf(w.version) !== versions.lastIndexOf(w.version)) problems.push(`${name}: listed twice`);
    const weights = [w.response, w.resolution, w.satisfaction];
    if (
      !weights.every(
        (x) => typeof x === 'number' && x >= 0 && x <= 1 && Math.abs(Math.round(x * 1000) - x * 1000) < 1e-9,
      )
    ) {
      problems.push(`${name}: each weight must be a fraction in [0, 1] with at most 3 decimals`);
    } else if (Math.round(weights.reduce((a, b) => a + b, 0) * 1000) !== 1000) {
      problems.push(`${name}: the weights must sum to 1`);
    }
  }
  for (const policy of data.deadlinePolicies) {
    for (const name of POLICY_WINDOW_NAMES) {
      const window = policy.windows[name] as DeadlinePolicyRecord['windows'][typeof name] | undefined;
      const valid =
        window !== undefined &&
        Number.isFinite(window.amount) &&
        window.amount >= 0 &&
        ['natural_hours', 'natural_days', 'working_days'].includes(window.unit) &&
        (window.unit !== 'working_days' || Number.isInteger(window.amount));
      if (!valid)
        problems.push(`policy ${policy.code} version ${policy.version}: window '${name}' is missing or invalid`);
    }
    problems.push(
      ...checkPolicyRules(policy, data.units).map((p) => `policy ${policy.code} version ${policy.version}: ${p}`),
    );
  }
  return problems;
}

const isCount = (n: unknown, min = 0): boolean => Number.isInteger(n) && (n as number) >= min;
const HOURS_PER_UNIT = { natural_hours: 1, natural_days: 24, working_days: 24 } as const;

/** The later per-policy rules (types.ts says what each one means). */
function checkPolicyRules(policy: DeadlinePolicyRecord, directory: UnitRecord[]): string[] {
  const problems: string[] = [];
  const fractions = policy.warningFractions as unknown;
  if (
    !Array.isArray(fractions) ||
    !fractions.every((f, i) => typeof f === 'number' && f > 0 && f < 1 && (i === 0 || f > (fractions[i - 1] as number)))
  ) {
    problems.push(`warningFractions must be ascending fractions of the handling time, each in (0, 1)`);
  }
  if (!isCount(policy.rehandlingCap)) problems.push(`rehandlingCap must be a whole number >= 0`);

  // A margin as long as the handling time would leave a co-handler no time at all.
  const handling = policy.windows.handling as PolicyWindows['handling'] | undefined;
  const handlingHours = handling ? handling.amount * (HOURS_PER_UNIT[handling.unit] ?? 0) : 0;
  const margin = policy.coHandlerMarginHours as unknown;
  if (typeof margin !== 'number' || !(margin >= 0) || margin >= handlingHours) {
    problems.push(`coHandlerMarginHours must be >= 0 and shorter than the handling window`);
  }
  if (!['main_deadline', 'co_handler_window'].includes(policy.coHandlerWhenShort)) {
    problems.push(`coHandlerWhenShort must be 'main_deadline' or 'co_handler_window'`);
  }

  const limits = policy.reminderLimits as unknown;
  if (!Array.isArray(limits) || !limits.every((n) => isCount(n))) {
    problems.push(`reminderLimits must be whole numbers >= 0`);
  } else {
    if (limits.length !== policy.escalationLevels + 1) {
      problems.push(
        `reminderLimits needs ${policy.escalationLevels + 1} entries (one before the first tier, one per escalation level), has ${limits.length}`,
      );
    }
    if (limits[0] !== policy.acceptanceReminderLimit) {
      problems.push(
        `reminderLimits[0] (${String(limits[0])}) must equal acceptanceReminderLimit (${policy.acceptanceReminderLimit})`,
      );
    }
  }
  if (!isCount(policy.duplicateWindowDays, 1)) problems.push(`duplicateWindowDays must be a whole number >= 1`);

  const city = directory.find((u) => u.id === policy.cityEscalationUnitId);
  if (!city) problems.push(`cityEscalationUnitId '${policy.cityEscalationUnitId}' is not a unit`);
  else if (city.districtId !== undefined) {
    problems.push(`cityEscalationUnitId '${city.id}' belongs to a district; the city level is above the districts`);
  }
  return problems;
}
