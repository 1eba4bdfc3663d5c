/* The supervisor page: reads /v1 with the key from the URL fragment and renders it. No framework. */
/* global document, window, location, fetch, echarts, URLSearchParams */
'use strict';

const LEVELS = ['street', 'department', 'enterprise'];
const STAGES = {
  triage: '待分派 triage',
  consultation: '会商 consultation',
  awaiting_acceptance: '待签收 awaiting acceptance',
  objection_review: '异议审核 objection review',
  forwarded: '已转办 forwarded',
  handling: '办理中 handling',
  result_reported: '已反馈 result reported',
  callback: '回访 callback',
  rehandling: '重办 rehandling',
  closed: '已办结 closed',
};
/** Which README filter lists a stuck case of a stage together with its like. */
const FILTER_OF_STAGE = {
  awaiting_acceptance: 'acceptance',
  objection_review: 'objectionReview',
  handling: 'handling',
  rehandling: 'handling',
  callback: 'handling',
};

const $ = (id) => document.getElementById(id);
const state = {
  key: '',
  level: 'street',
  month: '',
  showUnranked: false,
  config: null,
  names: new Map(),
  stuck: null,
};

/** `YYYY-MM` of an instant in Beijing. */
function beijingMonth(date) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .formatToParts(date)
    .reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts.year}-${parts.month}`;
}

/** An instant in Beijing as `2026-11-24 12:00`, or as RFC 3339 with +08:00 for a visibility query. */
function beijingTime(date, rfc3339 = false) {
  const local = new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
  return rfc3339 ? `${local}+08:00` : local.slice(0, 16).replace('T', ' ');
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.key = params.get('key') || '';
  state.level = LEVELS.includes(params.get('level')) ? params.get('level') : 'street';
  state.month = /^\d{4}-(0[1-9]|1[0-2])$/.test(params.get('month') || '')
    ? params.get('month')
    : beijingMonth(new Date());
}

function writeHash() {
  const params = new URLSearchParams({ key: state.key, level: state.level, month: state.month });
  window.history.replaceState(null, '', `#${params}`);
}

/** An element with text and attributes; children may be elements or strings. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

class Refused extends Error {}

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${state.key}` } });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 || res.status === 403) throw new Refused(body.message || `HTTP ${res.status}`);
  if (!res.ok) {
    const error = new Error(body.message || `HTTP ${res.status}`);
    error.status = res.status;
    throw error;
  }
  return body;
}

const uiBase = () => `${state.config.temporalUiUrl}/namespaces/${encodeURIComponent(state.config.namespace)}`;
const executionUrl = (appealId) =>
  `${uiBase()}/workflows/${encodeURIComponent(state.config.workflowIdPrefix + appealId)}`;
const listUrl = (query) => `${uiBase()}/workflows?query=${encodeURIComponent(query)}`;
const filterOf = (key) => state.config.filters.find((f) => f.key === key);
const fill = (query, values) => query.replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);

const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const score = (x) => (x === null || x === undefined ? '–' : (x * 100).toFixed(2));

function change(row) {
  if (row.rank === null) return el('span', { class: 'same', text: '–' });
  if (row.rankChange === null) return el('span', { class: 'new', text: row.previousRank === null ? '新 new' : '–' });
  if (row.rankChange > 0)
    return el('span', { class: 'up', title: `上月 ${row.previousRank}`, text: `▲ ${row.rankChange}` });
  if (row.rankChange < 0)
    return el('span', { class: 'down', title: `上月 ${row.previousRank}`, text: `▼ ${-row.rankChange}` });
  return el('span', { class: 'same', text: '＝ 0' });
}

function renderLeague(ranking) {
  const body = $('league').tBodies[0];
  body.replaceChildren();
  const ranked = ranking.items.filter((r) => r.rank !== null);
  const unranked = ranking.items.filter((r) => r.rank === null);
  const rows = state.showUnranked ? ranking.items : ranked;
  for (const r of rows)
    body.append(
      el(
        'tr',
        { 'data-unit-id': r.unitId, class: r.rank === null ? 'unranked' : null },
        el('td', { class: 'num rank', text: r.rank ?? '–' }),
        el('td', { class: 'num' }, change(r)),
        el('td', {}, el('div', { class: 'unit', text: r.name }), el('div', { class: 'id', text: r.unitId })),
        el('td', { class: 'num', text: r.valid }),
        el('td', { class: 'num', text: pct(r.response) }),
        el('td', { class: 'num', text: pct(r.resolution) }),
        el('td', { class: 'num', text: pct(r.satisfaction) }),
        el('td', { class: 'num', text: score(r.composite) }),
      ),
    );
  if (rows.length === 0)
    body.append(
      el('tr', {}, el('td', { colspan: 8, class: 'meta', text: '本月尚无有效回访 No valid callback this month yet' })),
    );
  const w = ranking.weights;
  $('league-meta').textContent = [
    `${ranking.month}`,
    w
      ? `权重 weights v${w.version}: 响应 ${w.response} · 解决 ${w.resolution} · 满意 ${w.satisfaction}`
      : '无权重 no weights',
    ranking.frozenAt ? `已冻结 frozen ${beijingTime(new Date(ranking.frozenAt))}` : '实时计算 live',
    `${ranked.length} 个单位排名 ranked`,
  ].join('  ·  ');
  const toggle = $('unranked-toggle');
  toggle.hidden = unranked.length === 0;
  toggle.textContent = state.showUnranked
    ? '只看有排名的单位 Show ranked units only'
    : `另有 ${unranked.length} 个单位本月无有效回访，显示 Show ${unranked.length} unranked`;
}

let chart;
function renderOverdue(overview) {
  $('overdue-total').textContent = `${overview.total} 件超期 overdue`;
  $('overdue-empty').hidden = overview.total > 0;
  $('overdue-chart').hidden = overview.total === 0;
  const data = overview.districts.map((d) => ({
    name: d.name ?? '未定区 no district',
    value: d.count,
    children: d.streets.map((s) => ({ name: s.name ?? '区级 district level', value: s.count, streetId: s.streetId })),
  }));
  const list = $('overdue-districts');
  list.replaceChildren();
  const district = filterOf('district');
  for (const d of overview.districts) {
    const label = `${d.name ?? '未定区'} ${d.count}`;
    list.append(
      el(
        'li',
        {},
        d.districtId && district
          ? el('a', {
              href: listUrl(fill(district.query, { districtId: d.districtId })),
              target: '_blank',
              rel: 'noopener',
              text: label,
            })
          : label,
      ),
    );
  }
  if (overview.total === 0 || typeof echarts === 'undefined') return;
  chart = chart || echarts.init($('overdue-chart'), null, { renderer: 'canvas' });
  chart.setOption(
    {
      tooltip: {
        formatter: (p) =>
          `${p.treePathInfo
            .map((n) => n.name)
            .filter(Boolean)
            .join(' / ')}: ${p.value} 件`,
      },
      series: [
        {
          type: 'treemap',
          name: '超期 overdue',
          roam: false,
          nodeClick: false,
          breadcrumb: { show: false },
          top: 4,
          left: 4,
          right: 4,
          bottom: 4,
          label: { show: true, formatter: '{b}\n{c} 件', fontSize: 13 },
          upperLabel: { show: true, height: 22, color: '#fff', fontWeight: 'bold', formatter: '{b}  {c}' },
          levels: [
            { itemStyle: { borderColor: '#fff', borderWidth: 3, gapWidth: 3 } },
            { colorSaturation: [0.35, 0.6], itemStyle: { borderColorSaturation: 0.7, gapWidth: 2, borderWidth: 2 } },
          ],
          data,
        },
      ],
      color: ['#c0392b', '#d35400', '#b7950b', '#1f5fbf', '#117a65', '#6c3483', '#7b7d7d'],
    },
    true,
  );
}

/** Stuck cases come a page at a time (newest intake first, as `GET /v1/appeals` pages); "more" reads the next. */
const STUCK_PAGE = 100;
const stuckUrl = (cursor) =>
  `/v1/appeals?overdue=true&open=true&limit=${STUCK_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

function renderStuck(appeals, overview) {
  const names = new Map();
  for (const d of overview.districts) {
    if (d.districtId) names.set(d.districtId, d.name);
    for (const s of d.streets) if (s.streetId) names.set(s.streetId, s.name);
  }
  // The overview counts the same cases: open and overdue.
  state.stuck = { names, total: overview.total, shown: 0, cursor: null };
  $('stuck').tBodies[0].replaceChildren();
  appendStuck(appeals);
}

function appendStuck(appeals) {
  const { names } = state.stuck;
  const body = $('stuck').tBodies[0];
  for (const a of appeals.items) {
    const filter = filterOf(FILTER_OF_STAGE[a.stage]);
    const unit = /^unit:(.+)$/.exec(a.nextActor || '');
    const waiting = filterOf('waitingOnUnit');
    const links = el(
      'td',
      { class: 'links' },
      el('a', {
        class: 'ui-execution',
        href: executionUrl(a.appealId),
        target: '_blank',
        rel: 'noopener',
        text: '执行 Execution',
      }),
    );
    if (filter)
      links.append(
        el('a', {
          class: 'ui-list',
          href: listUrl(filter.query),
          target: '_blank',
          rel: 'noopener',
          title: filter.query,
          text: `同类 ${filter.label}`,
        }),
      );
    if (unit && waiting)
      links.append(
        el('a', {
          class: 'ui-waiting',
          href: listUrl(fill(waiting.query, { unitId: unit[1] })),
          target: '_blank',
          rel: 'noopener',
          text: '该单位全部 All waiting on it',
        }),
      );
    const place = [names.get(a.districtId) ?? a.districtId, names.get(a.streetId) ?? a.streetId]
      .filter(Boolean)
      .join(' · ');
    const actor = unit
      ? (names.get(unit[1]) ?? unit[1])
      : a.nextActor === 'center'
        ? '热线中心 center'
        : (a.nextActor ?? '–');
    body.append(
      el(
        'tr',
        { 'data-appeal-id': a.appealId },
        el(
          'td',
          {},
          el('div', { text: a.contentFirstLine }),
          // The work order number is what a requester or a unit quotes; the id is for cases from before numbers.
          el('div', { class: 'id', text: `${a.workOrderNo ?? a.appealId} · ${a.categoryCode}` }),
        ),
        el('td', {}, el('span', { class: 'stage', text: STAGES[a.stage] ?? a.stage })),
        el('td', { text: place || '–' }),
        el('td', { text: actor }),
        el('td', { class: 'overdue', text: a.dueAt ? beijingTime(new Date(a.dueAt)) : '–' }),
        el('td', { class: 'num', text: a.escalationLevel }),
        links,
      ),
    );
  }
  state.stuck.shown += appeals.items.length;
  state.stuck.cursor = appeals.nextCursor;
  const { shown, total, cursor } = state.stuck;
  if (shown === 0)
    body.append(el('tr', {}, el('td', { colspan: 7, class: 'meta', text: '没有卡住的案件 Nothing is stuck' })));
  // The count was read a moment before the page: cases may have become stuck since.
  const of = cursor ? (total > shown ? ` / ${total}` : '+') : '';
  $('stuck-total').textContent = `${shown}${of} 件 cases`;
  const more = $('stuck-more');
  more.hidden = !cursor;
  more.disabled = false;
  const next = total > shown ? Math.min(STUCK_PAGE, total - shown) : 0;
  more.textContent = next > 0 ? `显示后 ${next} 件 Show ${next} more` : '显示更多 Show more';
}

async function moreStuck() {
  const more = $('stuck-more');
  if (!state.stuck?.cursor || more.disabled) return;
  more.disabled = true;
  try {
    appendStuck(await api(stuckUrl(state.stuck.cursor)));
  } catch (error) {
    more.disabled = false;
    $('status').textContent = `加载失败 Failed to load: ${error.message}`;
  }
}

function renderFilters() {
  const list = $('filters');
  list.replaceChildren();
  const values = { dueBefore: beijingTime(new Date(Date.now() + 86_400_000), true) };
  for (const f of state.config.filters) {
    if (/\{(unitId|districtId)\}/.test(f.query)) continue; // per case and per district above
    const query = fill(f.query, values);
    list.append(
      el(
        'li',
        { 'data-filter': f.key },
        el('a', { href: listUrl(query), target: '_blank', rel: 'noopener', text: `${f.label} · ${f.question}` }),
        el('code', { title: query, text: query }),
      ),
    );
  }
}

const countCell = (v) => el('td', { class: 'num', text: v ?? '–' });

function renderHotSpots(hot, error) {
  $('hot-month').textContent = state.month;
  $('hot-content').hidden = !hot;
  $('hot-unavailable').hidden = Boolean(hot);
  if (!hot) {
    $('hot-unavailable').textContent = `热点暂不可用 Hot spots not available${error ? ` (${error})` : ''}`;
    return;
  }
  const top = $('hot-top').tBodies[0];
  top.replaceChildren();
  for (const t of hot.top ?? [])
    top.append(
      el(
        'tr',
        {},
        el('td', { text: t.categoryName ?? t.categoryId }),
        el('td', { text: t.streetName ?? t.streetId ?? '–' }),
        countCell(t.count),
        countCell(t.lastMonth),
        countCell(t.lastYear),
      ),
    );
  if (!hot.top?.length) top.append(el('tr', {}, el('td', { colspan: 5, class: 'meta', text: '无 none' })));
  const fillList = (id, items, text) => {
    const list = $(id);
    list.replaceChildren(...(items ?? []).map((item) => el('li', { text: text(item) })));
    if (!items?.length) list.append(el('li', { class: 'meta', text: '无 none' }));
  };
  fillList(
    'hot-rising',
    hot.risingCategories,
    (c) =>
      `${c.categoryName ?? c.categoryId} · ${c.count} 件 · 上月 ${c.lastMonth} · ▲ ${c.change}${c.ratio ? ` (× ${c.ratio})` : ''}`,
  );
  fillList(
    'hot-addresses',
    hot.recurringAddresses,
    (a) =>
      `${a.address} · ${names(a.streetId)} · ${a.count} 件 (${(a.appealIds ?? []).slice(0, 3).join(', ')}${(a.appealIds ?? []).length > 3 ? ' …' : ''})`,
  );
  fillList(
    'hot-topics',
    hot.monthlyTopics,
    (t) => `${t.categoryName ?? t.categoryId} · ${t.count} 件 · ${t.streets} 个街乡${t.reason ? ` — ${t.reason}` : ''}`,
  );
}
const names = (id) => state.names.get(id) ?? id ?? '–';

function show(view) {
  $('login').hidden = view !== 'login';
  $('refused').hidden = view !== 'refused';
  $('board').hidden = view !== 'board';
  document.body.dataset.state = view === 'board' ? 'loading' : view;
}

async function load() {
  readHash();
  if (!state.key) {
    show('login');
    $('status').textContent = '需要密钥 A key is needed';
    return;
  }
  writeHash();
  for (const b of $('level').querySelectorAll('button'))
    b.setAttribute('aria-pressed', String(b.dataset.level === state.level));
  // A month's figures exist up to the current one: the API refuses a later month.
  $('month').max = beijingMonth(new Date());
  $('month').value = state.month;
  $('status').textContent = '正在加载 Loading…';
  document.body.dataset.state = 'loading';
  try {
    state.config = state.config || (await (await fetch('/supervise/config.json')).json());
    const [ranking, overview, stuck] = await Promise.all([
      api(`/v1/rankings/${state.month}?level=${state.level}`),
      api('/v1/overview/overdue'),
      api(stuckUrl(null)),
    ]);
    let hot = null;
    let hotError = null;
    try {
      hot = await api(`/v1/hot-spots/${state.month}`);
    } catch (error) {
      // Not deployed (404) or not for this key: the rest of the page stands.
      hotError = error.status === 404 ? null : error.message;
    }
    for (const d of overview.districts) for (const s of d.streets) if (s.streetId) state.names.set(s.streetId, s.name);
    show('board');
    renderLeague(ranking);
    renderOverdue(overview);
    renderStuck(stuck, overview);
    renderFilters();
    renderHotSpots(hot, hotError);
    state.ranking = ranking;
    $('status').textContent = `更新于 Updated ${beijingTime(new Date())} (北京时间 Beijing time)`;
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (error instanceof Refused) {
      show('refused');
      $('refused-reason').textContent = `此密钥无权查看监督数据：${error.message}`;
      $('status').textContent = '无权查看 Not allowed';
    } else {
      $('status').textContent = `加载失败 Failed to load: ${error.message}`;
      document.body.dataset.state = 'error';
    }
  }
}

function signOut(event) {
  event.preventDefault();
  window.history.replaceState(null, '', location.pathname);
  void load();
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.key = $('key-input').value.trim();
    $('key-input').value = '';
    if (!state.key) return;
    location.hash = new URLSearchParams({ key: state.key }).toString();
  });
  for (const a of document.querySelectorAll('#signout, .signout')) a.addEventListener('click', signOut);
  $('refresh').addEventListener('click', () => void load());
  $('stuck-more').addEventListener('click', () => void moreStuck());
  $('level').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-level]');
    if (!button) return;
    state.level = button.dataset.level;
    state.showUnranked = false;
    writeHash();
    void load();
  });
  $('month').addEventListener('change', () => {
    if (!$('month').value) return;
    state.month = $('month').value;
    writeHash();
    void load();
  });
  $('unranked-toggle').addEventListener('click', () => {
    state.showUnranked = !state.showUnranked;
    if (state.ranking) renderLeague(state.ranking);
  });
  window.addEventListener('hashchange', () => void load());
  window.addEventListener('resize', () => chart && chart.resize());
  void load();
});
