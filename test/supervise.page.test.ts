/**
 * The supervisor page in a real headless Chromium (Debian's `chromium`, driven by playwright-core;
 * `CHROMIUM_PATH` points at another binary): the API listens on a real port, real cases run on the
 * dev server — some closed with callbacks so the league table has rows, some past their acceptance
 * window (a policy of seconds, in this file's database) so they are stuck — and the page renders
 * the table, the chart and the Temporal UI links from them; more stuck cases than a page holds are
 * read a page at a time. Screenshots are kept in `.jiesu/artifacts/`: `supervise.png`, and the
 * stuck cases before and after "more" (`supervise-stuck-more.png`, `supervise-stuck-all.png`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startApiWorld, until, type ApiWorld } from './support/api.js';
import { addFastPolicy, routeCategoryTo } from './support/fastPolicies.js';
import { buildServer } from '../api/buildServer.js';
import { loadApiConfig } from '../api/config.js';
import { fillFilter, STUCK_FILTERS } from '../api/supervise/stuckFilters.js';
import { appeals, assessments } from '../db/schema/index.js';
import { ensureChromium } from '../scripts/lib/chromium.js';
import { ROOT, STATE_DIR } from '../scripts/lib/paths.js';
import { step } from '../scripts/lib/log.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';

const taskQueue = `${TASK_QUEUE}-supervise-page`;
const UI = 'http://temporal-ui.test:8233';
const SCREENSHOT = join(STATE_DIR, 'artifacts', 'supervise.png');
const SCREENSHOT_MORE = join(STATE_DIR, 'artifacts', 'supervise-stuck-more.png');
const SCREENSHOT_ALL = join(STATE_DIR, 'artifacts', 'supervise-stuck-all.png');

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;
let base: string;
let browser: Browser;
/** The Beijing month the closed cases count in. */
let month: string;
let previousMonth: string;
const stuck: { appealId: string; streetId: string }[] = [];

const beijingMonth = (at: Date): string => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
const monthBefore = (m: string): string => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
};

async function call(key: string, method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
}

async function ok<T>(key: string, method: 'GET' | 'POST', url: string, payload?: object): Promise<T> {
  const res = await call(key, method, url, payload);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.json<T>();
}

interface CaseView {
  appealId: string;
  stage: string;
  overdue: boolean;
  closedAt?: string | null;
}

async function start(body: Record<string, unknown>): Promise<string> {
  const res = await ok<{ case: CaseView }>('dev-intake', 'POST', '/v1/appeals', {
    channel: 'phone',
    appealType: 'complaint',
    requester: { name: '赵六', phone: '13600000000' },
    ...body,
  });
  return res.case.appealId;
}

/** A case from intake to a closed callback: dispatched by the catalogue, accepted, resolved, called back. */
async function closedCase(
  body: Record<string, unknown>,
  lead: string,
  answers: { resolved: boolean; satisfaction: string },
): Promise<CaseView> {
  const id = await start(body);
  await ok('dev-center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' });
  await ok(`dev-unit-${lead}`, 'POST', `/v1/appeals/${id}/accept`, {});
  const reported = await ok<CaseView>(`dev-unit-${lead}`, 'POST', `/v1/appeals/${id}/result`, {
    outcome: 'resolved',
    summary: '已处理完毕',
  });
  expect(reported.stage).toBe('callback');
  await ok('dev-center', 'POST', `/v1/appeals/${id}/callback`, { reached: true, contacted: true, ...answers });
  // The record, whose closedAt the rows' month comes from.
  const closed = await until(
    async () =>
      (await ok<{ items: CaseView[] }>('dev-center', 'GET', '/v1/appeals?stage=closed')).items.find(
        (c) => c.appealId === id,
      ),
    (c) => typeof c?.closedAt === 'string',
  );
  expect(closed?.closedAt, `${id} closed`).toEqual(expect.any(String));
  return closed!;
}

/** Rows of the month before, written directly: the history the rank changes are measured against. */
async function previousMonthRow(id: string, unitId: string, satisfaction: 'satisfied' | 'unsatisfied') {
  const closedAt = new Date(`${previousMonth}-10T04:00:00Z`);
  await database.db.insert(appeals).values({
    id,
    workflowId: `appeal-${id}`,
    channel: 'phone',
    appealType: 'complaint',
    categoryCode: 'urban.manhole',
    content: '上月的案件',
    stage: 'closed',
    receivedAt: new Date(closedAt.getTime() - 86_400_000),
    closedAt,
  });
  await database.db.insert(assessments).values({
    appealId: id,
    unitId,
    role: 'lead',
    responded: true,
    callbackValid: true,
    contacted: true,
    resolved: satisfaction === 'satisfied',
    satisfaction,
    closedAt,
  });
}

beforeAll(async () => {
  const executablePath = await ensureChromium(step);
  database = await createTestDatabase();
  // Road damage: the acceptance window lasts 2 s, so an unaccepted case is soon overdue.
  await addFastPolicy(database, {
    code: 'test-page-fast-acceptance',
    seconds: { acceptance: 2 },
    reminderLimits: [1, 1, 1],
    escalationLevels: 2,
  });
  await routeCategoryTo(database, 'urban.road_damage', 'test-page-fast-acceptance');
  world = await startApiWorld(database, taskQueue);
  // The documented dev keys (dev-supervisor …), as `npm run dev` has them.
  app = await buildServer(
    loadApiConfig({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_UI_URL: UI,
      NODE_ENV: 'development',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    }),
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });

  // Manholes go to the street of the location, with the callback at once on the result.
  const manhole = (streetId: string) => ({ categoryCode: 'urban.manhole', content: '井盖缺失', streetId });
  const [jianwai] = await Promise.all([
    closedCase(manhole('chaoyang-jianwai'), 'chaoyang-jianwai', { resolved: true, satisfaction: 'satisfied' }),
    closedCase(manhole('haidian-zhongguancun'), 'haidian-zhongguancun', {
      resolved: false,
      satisfaction: 'basically_satisfied',
    }),
    closedCase(
      { categoryCode: 'utilities.water.outage', appealType: 'help', content: '小区停水', districtId: 'chaoyang' },
      'beijing-water',
      { resolved: true, satisfaction: 'satisfied' },
    ),
  ]);
  month = beijingMonth(new Date(jianwai.closedAt!));
  previousMonth = monthBefore(month);
  // Last month Zhongguancun led and Jianwai trailed: this month they swap.
  await previousMonthRow('page-prev-1', 'haidian-zhongguancun', 'satisfied');
  await previousMonthRow('page-prev-2', 'chaoyang-jianwai', 'unsatisfied');

  for (const streetId of ['chaoyang-jianwai', 'chaoyang-chaowai', 'haidian-zhongguancun']) {
    const appealId = await start({ categoryCode: 'urban.road_damage', content: '道路塌陷', streetId });
    await ok('dev-center', 'POST', `/v1/appeals/${appealId}/triage`, { disposition: 'dispatch' });
    stuck.push({ appealId, streetId });
  }
  for (const { appealId } of stuck) {
    const c = await until(
      () => ok<CaseView>('dev-center', 'GET', `/v1/appeals/${appealId}`),
      (v) => v.overdue,
    );
    expect(c.overdue, `${appealId} overdue`).toBe(true);
  }
  // The assessment rows are written as the cases close.
  const ranked = await until(
    () => ok<{ items: { rank: number | null }[] }>('dev-supervisor', 'GET', `/v1/rankings/${month}?level=street`),
    (r) => r.items.filter((i) => i.rank !== null).length === 2,
  );
  expect(ranked.items.filter((i) => i.rank !== null)).toHaveLength(2);

  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await world?.close();
  await database?.drop();
});

async function open(fragment: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/supervise#${fragment}`);
  await page.waitForFunction(
    () => (globalThis as unknown as PageGlobals).document.body.dataset.state !== 'loading',
    undefined,
    { timeout: 20_000 },
  );
  expect(errors).toEqual([]);
  return page;
}

const texts = (page: Page, selector: string) => page.locator(selector).allInnerTexts();
async function hrefs(page: Page, selector: string): Promise<(string | null)[]> {
  const links = page.locator(selector);
  return Promise.all(Array.from({ length: await links.count() }, (_, i) => links.nth(i).getAttribute('href')));
}
/**
 * The page's globals the test reads in functions run in the page (this project's TypeScript has
 * no DOM types; Playwright sends a function's source, and the page's CSP forbids evaluating strings).
 */
interface PageGlobals {
  document: { body: { dataset: Record<string, string | undefined> } };
  location: { hash: string };
}
/** What the page is showing: `loading`, `ready`, `refused`, `login` or `error`. */
const shown = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.state);

describe('GET /supervise', () => {
  it('serves a shell without data, ECharts with caching headers, and its config; none of it in the OpenAPI document', async () => {
    const shell = await app.inject({ method: 'GET', url: '/supervise' });
    expect(shell.statusCode).toBe(200);
    expect(shell.headers['content-type']).toMatch(/^text\/html/);
    expect(shell.body).toContain('/supervise/page.js');
    expect(shell.body).not.toContain('chaoyang');

    const echarts = await app.inject({ method: 'GET', url: '/supervise/echarts.min.js' });
    expect(echarts.statusCode).toBe(200);
    expect(echarts.headers['content-type']).toMatch(/javascript/);
    expect(echarts.headers['cache-control']).toMatch(/max-age=\d+/);
    const again = await app.inject({
      method: 'GET',
      url: '/supervise/echarts.min.js',
      headers: { 'if-none-match': String(echarts.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    const config = await app.inject({ method: 'GET', url: '/supervise/config.json' });
    expect(config.json()).toMatchObject({ temporalUiUrl: UI, namespace: 'default', workflowIdPrefix: 'appeal-' });

    const paths = Object.keys((await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: object }>().paths);
    expect(paths.filter((p) => p.startsWith('/supervise'))).toEqual([]);
    expect(paths).toContain('/v1/overview/overdue');
  });

  it("links to the README's stuck-case filters, word for word", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### Finding stuck cases');
    const section = readme.slice(start, readme.indexOf('\n## ', start));
    const rows = [...section.matchAll(/^\|\s*([^|\n]+?)\s*\|\s*`([^`]+)`\s*\|\s*$/gm)].map((m) => [m[1], m[2]]);
    // The README's examples for what the page fills in.
    const examples = { unitId: 'chaoyang-jianwai', districtId: 'chaoyang', dueBefore: '2026-11-24T12:00:00+08:00' };
    expect(STUCK_FILTERS.map((f) => [f.question, fillFilter(f.query, examples)])).toEqual(rows);
  });
});

describe('the supervisor page in headless Chromium', () => {
  it('shows the league table, the overdue chart, the stuck cases with their Temporal UI links, and the hot spots', async () => {
    const page = await open(`key=dev-supervisor&level=street&month=${month}`);
    expect(await shown(page)).toBe('ready');

    // League table: the two ranked streets, with this month's ranks and the change against last month.
    const ranked = page.locator('#league tbody tr:not(.unranked)');
    await expect.poll(() => ranked.count()).toBe(2);
    const rows = await Promise.all([0, 1].map((i) => ranked.nth(i).locator('td').allInnerTexts()));
    expect(rows[0]!.slice(0, 3)).toEqual(['1', '▲ 1', '建外街道\nchaoyang-jianwai']);
    expect(rows[0]!.slice(4)).toEqual(['100.0%', '100.0%', '100.0%', '100.00']);
    expect(rows[1]!.slice(0, 3)).toEqual(['2', '▼ 1', '中关村街道\nhaidian-zhongguancun']);
    // 0.1 × 1 + 0.5 × 0 + 0.4 × 0.9
    expect(rows[1]![7]).toBe('46.00');
    expect(await page.locator('#unranked-toggle').innerText()).toMatch(/另有 \d+ 个单位/);

    // The chart: an ECharts treemap on a canvas, with the overdue cases by district and street.
    expect(await page.locator('#overdue-chart canvas').count()).toBeGreaterThan(0);
    const series = await page.evaluate<{ type: string; data: unknown[] }[]>(
      "echarts.getInstanceByDom(document.getElementById('overdue-chart')).getOption().series.map((s) => ({ type: s.type, data: s.data }))",
    );
    expect(series).toHaveLength(1);
    expect(series[0]!.type).toBe('treemap');
    expect(series[0]!.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: '朝阳区',
          value: 2,
          children: expect.arrayContaining([
            expect.objectContaining({ name: '建外街道', value: 1 }),
            expect.objectContaining({ name: '朝外街道', value: 1 }),
          ]) as unknown,
        }),
        expect.objectContaining({ name: '海淀区', value: 1 }),
      ]),
    );
    expect(await page.locator('#overdue-total').innerText()).toContain('3');

    // Stuck cases: each links to its execution and to the README's filter for its stage.
    for (const { appealId, streetId } of stuck) {
      const row = page.locator(`#stuck tr[data-appeal-id="${appealId}"]`);
      expect(await row.count(), appealId).toBe(1);
      expect(await row.locator('a.ui-execution').getAttribute('href')).toBe(
        `${UI}/namespaces/default/workflows/appeal-${appealId}`,
      );
      expect(await row.locator('a.ui-list').getAttribute('href')).toBe(
        `${UI}/namespaces/default/workflows?query=${encodeURIComponent('AppealStage="awaiting_acceptance" AND Overdue=true')}`,
      );
      // Who owes the next step, by name.
      const waiting = await row.locator('td').nth(3).innerText();
      expect(waiting, `${appealId} (${streetId}) waits on someone`).not.toMatch(/^(–|)$/);
    }
    const filterLinks = await hrefs(page, '#filters a');
    expect(filterLinks).toContain(
      `${UI}/namespaces/default/workflows?query=${encodeURIComponent('EscalationLevel >= 1 AND ExecutionStatus="Running"')}`,
    );
    const districtLinks = await hrefs(page, '#overdue-districts a');
    expect(districtLinks).toContain(
      `${UI}/namespaces/default/workflows?query=${encodeURIComponent('District="chaoyang" AND ExecutionStatus="Running"')}`,
    );

    // Hot spots of the month (GET /v1/hot-spots): the category × street pairs of this file's cases.
    expect(await page.locator('#hot-content').isVisible()).toBe(true);
    const hot = await texts(page, '#hot-top tbody tr');
    expect(hot).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^井盖缺失或破损\s+建外街道\s+1\s+0\s+0$/),
        expect.stringMatching(/^道路破损\s+朝外街道\s+1\s+0\s+0$/),
      ]),
    );

    mkdirSync(join(STATE_DIR, 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The level switch reads another level: the water company leads the enterprises.
    await page.locator('#level button[data-level="enterprise"]').click();
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document.body.dataset.state === 'ready' &&
        (globalThis as unknown as PageGlobals).location.hash.includes('enterprise'),
    );
    await expect
      .poll(() => texts(page, '#league tbody tr:not(.unranked) td:nth-child(3) .unit'))
      .toEqual(['北京市自来水集团有限责任公司']);
    await page.close();
  });

  it('pages through the stuck cases: the first 100 open ones, then the rest on "more", closed cases never', async () => {
    // Many more stuck cases than one page holds (records only: the page reads records), and overdue
    // cases that have closed since, received last: they must not take the places of open ones.
    const receivedAt = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const many = Array.from({ length: 130 }, (_, i) => `page-stuck-${String(i).padStart(3, '0')}`);
    await database.db.insert(appeals).values([
      ...many.map((id, i) => ({
        id,
        workflowId: `appeal-${id}`,
        channel: 'phone',
        appealType: 'complaint',
        categoryCode: 'urban.road_damage',
        content: `丰台积压 ${i}`,
        districtId: 'fengtai',
        stage: 'awaiting_acceptance',
        nextActor: 'center',
        overdue: true,
        dueAt: receivedAt(60 + i),
        receivedAt: receivedAt(120 + i),
      })),
      ...Array.from({ length: 5 }, (_, i) => ({
        id: `page-done-${i}`,
        workflowId: `appeal-page-done-${i}`,
        channel: 'phone',
        appealType: 'complaint',
        categoryCode: 'urban.road_damage',
        content: '已办结',
        districtId: 'fengtai',
        stage: 'closed',
        overdue: true,
        receivedAt: new Date(),
        closedAt: new Date(),
      })),
    ]);
    const everyStuck = [...stuck.map((s) => s.appealId), ...many];

    const page = await open(`key=dev-supervisor&level=street&month=${month}`);
    expect(await shown(page)).toBe('ready');
    const rows = page.locator('#stuck tbody tr[data-appeal-id]');
    expect(await rows.count()).toBe(100);
    expect(await page.locator('#stuck-total').innerText()).toBe(`100 / ${everyStuck.length} 件 cases`);
    const more = page.locator('#stuck-more');
    expect(await more.isVisible()).toBe(true);
    expect(await more.innerText()).toBe(`显示后 ${everyStuck.length - 100} 件 Show ${everyStuck.length - 100} more`);

    await page.locator('#stuck-card').screenshot({ path: SCREENSHOT_MORE });

    await more.click();
    await expect.poll(() => rows.count()).toBe(everyStuck.length);
    const ids = await Promise.all(
      Array.from({ length: everyStuck.length }, (_, i) => rows.nth(i).getAttribute('data-appeal-id')),
    );
    expect([...ids].sort()).toEqual([...everyStuck].sort());
    expect(ids.some((id) => id?.startsWith('page-done-'))).toBe(false);
    expect(await more.isVisible()).toBe(false);
    expect(await page.locator('#stuck-total').innerText()).toBe(`${everyStuck.length} 件 cases`);
    // Newest intake first, across the pages, as the API pages.
    const fengtai = ids.filter((id) => id?.startsWith('page-stuck-'));
    expect(fengtai).toEqual(many);
    // The list scrolls in place: the last case is reached inside it, the header stays in view.
    await rows.last().scrollIntoViewIfNeeded();
    await page.locator('#stuck-card').screenshot({ path: SCREENSHOT_ALL });
    await page.close();

    // The route the page reads: `open` is a boolean, named when it is not.
    const bad = await call('dev-supervisor', 'GET', '/v1/appeals?overdue=true&open=maybe');
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'querystring/open' });
    const closed = await ok<{ items: { appealId: string }[] }>(
      'dev-supervisor',
      'GET',
      '/v1/appeals?overdue=true&open=false&districtId=fengtai',
    );
    expect(closed.items.map((i) => i.appealId).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `page-done-${i}`));
  });

  it('refuses a key that is not a supervisor, center or admin key, and asks for a key without one', async () => {
    const unit = await open('key=dev-unit-beijing-water');
    expect(await shown(unit)).toBe('refused');
    expect(await unit.locator('#refused').isVisible()).toBe(true);
    // The page reads several routes at once: the first refusal to arrive is the one shown.
    expect(await unit.locator('#refused-reason').innerText()).toMatch(
      /^此密钥无权查看监督数据：role unit does not read /,
    );
    expect(await unit.locator('#board').isVisible()).toBe(false);
    await unit.close();

    const unknown = await open('key=not-a-key');
    expect(await unknown.locator('#refused-reason').innerText()).toContain('unknown API key');
    await unknown.close();

    const none = await open('');
    expect(await shown(none)).toBe('login');
    await none.locator('#key-input').fill('dev-center');
    await none.locator('#login-form button').click();
    await none.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.state === 'ready');
    expect(await none.locator('#league tbody tr:not(.unranked)').count()).toBe(2);
    await none.close();
  });
});
