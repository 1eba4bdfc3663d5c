/**
 * `npm run month:demo`: with `npm run dev` running, drives a small month of cases through the
 * real workflows over the HTTP API only (intake, triage, acceptance, objections, first contact,
 * result, callback, re-handling), as the hotline's systems and the units would, with the
 * development keys. Then prints where to read the month: the rankings, their CSV, the hot spots,
 * the dispatch accuracy and an accountability record.
 *
 * Only categories whose policy calls back as soon as the result is reported (emergencies: manholes,
 * fire hazards, gas leaks; utilities: water, power, heating) can close within a run; the others
 * would wait for their 7-day handling deadline. API_URL moves the API (default
 * http://127.0.0.1:3000); every run starts new cases (its own idempotency keys).
 */
import { randomUUID } from 'node:crypto';

const API = (process.env.API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const RUN = randomUUID().slice(0, 8);

type Answer = 'satisfied' | 'basically_satisfied' | 'unsatisfied' | 'unreachable' | 'denies_contact';

interface Plan {
  categoryCode: string;
  content: string;
  districtId?: string;
  streetId?: string;
  address?: string;
  answer: Answer;
  /** The lead objects; the center upholds the dispatch (accountability) or re-dispatches to `to`. */
  objection?: { decision: 'upheld' } | { decision: 'redispatch'; to: string };
  /** Left dispatched and never accepted: overdue once its acceptance window passes. */
  leftUnaccepted?: boolean;
  /** Unsatisfied, then handled again and called back again with this answer. */
  rehandledTo?: Answer;
}

const manhole = (streetId: string, answer: Answer, extra: Partial<Plan> = {}): Plan => ({
  categoryCode: 'urban.manhole',
  content: '人行道井盖缺失，夜间有行人跌落风险',
  districtId: streetId.split('-')[0],
  streetId,
  answer,
  ...extra,
});
const utility = (categoryCode: string, content: string, answer: Answer, extra: Partial<Plan> = {}): Plan => ({
  categoryCode,
  content,
  districtId: 'chaoyang',
  answer,
  ...extra,
});

/** The month: 31 cases; manholes across four streets make a 每月一题 candidate and a recurring address. */
const MONTH: Plan[] = [
  ...(['satisfied', 'satisfied', 'basically_satisfied'] as const).map((a) =>
    manhole('chaoyang-jianwai', a, { address: '建国门外大街甲1号' }),
  ),
  manhole('chaoyang-jianwai', 'satisfied'),
  manhole('chaoyang-jianwai', 'denies_contact'),
  manhole('chaoyang-jianwai', 'satisfied', { objection: { decision: 'redispatch', to: 'chaoyang-sanlitun' } }),
  manhole('chaoyang-sanlitun', 'satisfied'),
  manhole('chaoyang-sanlitun', 'basically_satisfied'),
  manhole('chaoyang-sanlitun', 'unsatisfied', { rehandledTo: 'basically_satisfied' }),
  manhole('haidian-wanshoulu', 'satisfied'),
  manhole('haidian-wanshoulu', 'unsatisfied'),
  manhole('dongcheng-jingshan', 'satisfied'),
  manhole('dongcheng-jingshan', 'satisfied', { leftUnaccepted: true }),
  ...(['chaoyang-sanlitun', 'haidian-wanshoulu', 'dongcheng-jingshan'] as const).map((streetId, i) => ({
    categoryCode: 'safety.fire_hazard',
    content: '楼道堆放杂物堵塞消防通道',
    districtId: streetId.split('-')[0],
    streetId,
    answer: (['satisfied', 'basically_satisfied', 'unreachable'] as const)[i]!,
  })),
  ...(['satisfied', 'basically_satisfied', 'satisfied'] as const).map((answer) => ({
    categoryCode: 'utilities.heating.insufficient',
    content: '室内温度不足16度',
    districtId: 'tongzhou',
    streetId: 'tongzhou-beiyuan',
    answer,
  })),
  utility('utilities.water.outage', '小区停水两天', 'satisfied'),
  utility('utilities.water.outage', '小区停水两天', 'satisfied'),
  utility('utilities.water.outage', '自来水发黄', 'basically_satisfied'),
  utility('utilities.water.outage', '小区停水', 'satisfied', { objection: { decision: 'upheld' } }),
  utility('utilities.water.outage', '整栋楼停水', 'unsatisfied'),
  utility('utilities.power.outage', '小区停电', 'satisfied'),
  utility('utilities.power.outage', '频繁跳闸停电', 'basically_satisfied'),
  utility('utilities.power.outage', '整栋楼停电', 'denies_contact'),
  utility('utilities.gas.leak', '楼道有燃气味', 'satisfied'),
  utility('utilities.gas.leak', '厨房燃气泄漏', 'satisfied'),
  utility('utilities.heating.outage', '暖气不热', 'basically_satisfied'),
  utility('utilities.heating.outage', '暖气停了', 'unreachable'),
];

interface Case {
  appealId: string;
  stage: string;
  leadUnitId: string | null;
  deadlines: Record<string, string>;
}

async function call<T>(key: string, method: string, path: string, body?: unknown, headers = {}): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const act = (key: string, id: string, action: string, body: unknown) =>
  call<Case>(key, 'POST', `/v1/appeals/${id}/${action}`, body, {
    'idempotency-key': `${id}-${action}-${randomUUID()}`,
  });
const unitKey = (unitId: string) => `dev-unit-${unitId}`;

async function stageOf(id: string, stages: string[]): Promise<Case> {
  for (let i = 0; i < 150; i++) {
    const c = await call<Case>('dev-center', 'GET', `/v1/appeals/${id}`);
    if (stages.includes(c.stage)) return c;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`appeal ${id} did not reach ${stages.join(' or ')}`);
}

function callbackBody(answer: Answer) {
  switch (answer) {
    case 'unreachable':
      return { reached: false, channel: 'phone' };
    case 'denies_contact':
      return { reached: true, contacted: false, resolved: true, satisfaction: 'basically_satisfied', channel: 'phone' };
    case 'unsatisfied':
      return { reached: true, contacted: true, resolved: false, satisfaction: 'unsatisfied', channel: 'phone' };
    default:
      return { reached: true, contacted: true, resolved: true, satisfaction: answer, channel: 'sms' };
  }
}

/** One case from intake to where the plan leaves it; answers a line for the progress log. */
async function drive(plan: Plan, n: number): Promise<string> {
  const started = await call<{ case: Case }>(
    'dev-intake',
    'POST',
    '/v1/appeals',
    {
      channel: n % 3 === 0 ? 'web' : 'phone',
      appealType: 'help',
      categoryCode: plan.categoryCode,
      content: plan.content,
      ...(plan.districtId ? { districtId: plan.districtId } : {}),
      ...(plan.streetId ? { streetId: plan.streetId } : {}),
      ...(plan.address ? { address: plan.address } : {}),
      requester: { name: `市民${n}`, phone: `1390000${String(n).padStart(4, '0')}` },
    },
    { 'idempotency-key': `month-demo-${RUN}-${n}` },
  );
  const id = started.case.appealId;
  let c = await act('dev-center', id, 'triage', { disposition: 'dispatch' });
  let lead = c.leadUnitId!;
  const steps = [`dispatched to ${lead}`];
  if (plan.leftUnaccepted)
    return `${id} ${plan.categoryCode}: ${steps[0]}, left unaccepted: overdue after ${c.deadlines.acceptance}`;

  if (plan.objection) {
    await act(unitKey(lead), id, 'object', { reason: '该事项不属本单位职责范围' });
    if (plan.objection.decision === 'upheld') {
      await act('dev-center', id, 'objection-decision', { decision: 'upheld', reason: '经核实属本单位职责' });
      steps.push('objection upheld (objection_rejected recorded)');
    } else {
      c = await act('dev-center', id, 'objection-decision', {
        decision: 'redispatch',
        reason: '经核实属相邻街道',
        newUnitId: plan.objection.to,
      });
      lead = plan.objection.to;
      steps.push(`objection granted, re-dispatched to ${lead}`);
    }
  }
  await act(unitKey(lead), id, 'accept', {});
  if (plan.answer === 'denies_contact' || n % 2 === 0)
    await act(unitKey(lead), id, 'first-contact', { note: '已电话联系诉求人' });
  await act(unitKey(lead), id, 'result', { outcome: 'resolved', summary: '已处置完毕' });
  await stageOf(id, ['callback']);
  await act('dev-center', id, 'callback', callbackBody(plan.answer));
  steps.push(`called back: ${plan.answer}`);

  if (plan.rehandledTo) {
    await act('dev-center', id, 'rehandling', { reason: '诉求人反映问题仍未解决' });
    await act(unitKey(lead), id, 'result', { outcome: 'resolved', summary: '重新处置完毕' });
    await stageOf(id, ['callback']);
    await act('dev-center', id, 'callback', callbackBody(plan.rehandledTo));
    steps.push(`re-handled, called back again: ${plan.rehandledTo}`);
  }
  const closes = !['unsatisfied', 'unreachable'].includes(plan.rehandledTo ?? plan.answer);
  if (closes) {
    await stageOf(id, ['closed']);
    steps.push('closed');
  } else
    steps.push(
      plan.answer === 'unreachable'
        ? 'open: the center tries again within the callback window'
        : 'open: the center may order re-handling until the callback window ends',
    );
  return `${id} ${plan.categoryCode}: ${steps.join(', ')}`;
}

try {
  const health = await fetch(`${API}/health/ready`).catch(() => undefined);
  if (!health?.ok) throw new Error(`the API at ${API} is not ready: start it with \`npm run dev\``);
  console.log(`[month:demo] driving ${MONTH.length} cases through ${API} (run ${RUN})`);
  // A few at a time: the dev server has one history shard; each case waits on its own Updates.
  const lines: string[] = [];
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < MONTH.length) {
        const n = next++;
        const line = await drive(MONTH[n]!, n + 1);
        lines[n] = line;
        console.log(`[month:demo] ${String(++done).padStart(2)}/${MONTH.length} ${line}`);
      }
    }),
  );

  // The month the cases closed in, in Beijing: rankings count the close, hot spots the intake.
  const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
  const ranking = await call<{ items: { unitId: string; rank: number | null; composite: number | null }[] }>(
    'dev-supervisor',
    'GET',
    `/v1/rankings/${month}?level=street`,
  );
  const ranked = ranking.items.filter((r) => r.rank !== null);
  console.log(
    `\n[month:demo] ${month}: ${ranked.length} streets ranked: ${ranked
      .slice(0, 5)
      .map((r) => `${r.rank}. ${r.unitId} ${r.composite}`)
      .join(', ')}`,
  );
  const auth = (key: string) => `-H 'Authorization: Bearer ${key}'`;
  console.log(
    [
      '',
      'Read the month (supervisor key; the CSV opens in Excel):',
      `  curl -s ${auth('dev-supervisor')} '${API}/v1/rankings/${month}?level=street'`,
      `  curl -s ${auth('dev-supervisor')} '${API}/v1/rankings/${month}?level=enterprise'`,
      `  curl -s ${auth('dev-supervisor')} -o rankings-${month}-street.csv '${API}/v1/rankings/${month}/export.csv?level=street'`,
      `  curl -s ${auth('dev-supervisor')} '${API}/v1/hot-spots/${month}'`,
      `  curl -s ${auth('dev-center')} '${API}/v1/dispatch-accuracy/${month}'`,
      `  curl -s ${auth('dev-unit-beijing-water')} '${API}/v1/accountability/units/beijing-water/months/${month}'`,
      `  curl -s ${auth('dev-supervisor')} '${API}/v1/accountability/units/chaoyang-jianwai/months/${month}'`,
      `  API docs: ${API}/docs`,
      '',
    ].join('\n'),
  );
} catch (error) {
  console.error(`[month:demo] ${(error as Error).message}`);
  process.exitCode = 1;
}
