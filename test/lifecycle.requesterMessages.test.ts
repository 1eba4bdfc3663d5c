/**
 * Who is told what (Art. 7, 11, 17, 24): every message the requester is owed, and the
 * stability-risk push to the government and the center, as the `notify` activities a case
 * schedules, on the time-skipping server. Where each goes is test/notifications.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { center, hours, intake, unit, useScenarioWorld, type AppealScenario } from './harness/scenario.js';
import { beijingTimeText } from '../domain/requesterMessages.js';
import * as d from '../workflows/appeal/definitions.js';

const t = useScenarioWorld();
const street = 'chaoyang-jianwai';

const toRequester = async (appeal: AppealScenario) =>
  (await appeal.notifications()).filter((n) => n.to === 'requester');

/** A water outage with its result reported: utilities call back at once (stage `callback`). */
async function resultReported(): Promise<AppealScenario> {
  const appeal = await t.world.startAppeal({ categoryCode: 'utilities.water.outage' });
  await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
  await appeal.act(d.acceptDispatchUpdate, { by: unit('beijing-water') });
  const c = await appeal.act(d.reportResultUpdate, {
    by: unit('beijing-water'),
    outcome: 'resolved',
    summary: '已恢复供水',
  });
  expect(c.stage).toBe('callback');
  return appeal;
}

describe("the requester's messages", () => {
  it('the triage answer of a closing disposition', async () => {
    const appeal = await t.world.startAppeal({ appealType: 'consultation' });
    await appeal.act(d.triageAppealUpdate, {
      by: center,
      disposition: 'knowledge_answer',
      reason: '知识库可答复',
      answer: '夜间施工须持夜间施工许可证，可向城管执法部门举报',
    });
    const { workOrderNo } = await appeal.settle();
    expect((await toRequester(appeal)).find((n) => n.kind === 'triage_answer')?.message).toBe(
      `您的诉求（工单 ${workOrderNo}）答复：夜间施工须持夜间施工许可证，可向城管执法部门举报`,
    );
  });

  it('a repeat names the original to follow when its number is known (Art. 12)', async () => {
    const original = await t.world.startAppeal();
    const originalNo = (await original.settle()).workOrderNo!;
    const repeat = await t.world.startAppeal();
    const triage = {
      by: center,
      disposition: 'repeat',
      reason: '重复诉求',
      answer: '您反映的问题已有工单在办理',
      originalAppealId: original.appealId,
    } as const;
    await repeat.act(d.triageAppealUpdate, { ...triage, originalWorkOrderNo: originalNo });
    const { workOrderNo } = await repeat.settle();
    expect((await toRequester(repeat)).find((n) => n.kind === 'triage_answer')?.message).toBe(
      `您的诉求（工单 ${workOrderNo}）与工单 ${originalNo} 为重复诉求，不再另行办理，凭本工单编号可查询工单 ${originalNo} 的办理情况。答复：您反映的问题已有工单在办理`,
    );
    // A repeat decided without the number (a direct Update) is told the answer alone.
    const bare = await t.world.startAppeal();
    await bare.act(d.triageAppealUpdate, triage);
    const bareNo = (await bare.settle()).workOrderNo;
    expect((await toRequester(bare)).find((n) => n.kind === 'triage_answer')?.message).toBe(
      `您的诉求（工单 ${bareNo}）答复：您反映的问题已有工单在办理`,
    );
  });

  it('an approved extension with its reason', async () => {
    const appeal = await t.world.acceptedAppeal({ categoryCode: 'urban.road_damage', streetId: street });
    await appeal.act(d.requestExtensionUpdate, { by: unit(street), reason: '需协调产权单位' });
    const c = await appeal.act(d.decideExtensionUpdate, { by: center, approved: true, reason: '理由充分' });
    const told = (await toRequester(appeal)).find((n) => n.kind === 'extension_decided');
    // In the requester's words: the new deadline in Beijing time, and why.
    expect(told?.message).toContain(beijingTimeText(c.deadlines.handling!));
    expect(told?.message).toContain('需协调产权单位');
    expect(told?.message).toContain(c.workOrderNo!);
  });

  it('the result, the callback answered, a re-handling, and the second callback', async () => {
    const appeal = await resultReported();
    await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'unsatisfied',
    });
    let c = await appeal.act(d.orderRehandlingUpdate, { by: center, reason: '水压仍不足' });
    expect(c.stage).toBe('rehandling');
    await appeal.act(d.reportResultUpdate, { by: unit('beijing-water'), outcome: 'resolved', summary: '已更换加压泵' });
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(c.stage).toBe('closed');
    const told = await toRequester(appeal);
    expect(told.map((n) => n.kind).filter((k) => k !== 'received')).toEqual([
      'result',
      'callback_answered',
      'rehandling',
      'result',
      'callback_answered',
    ]);
    // Each result with its outcome in words before the unit's text, as the status route shows it.
    expect(told.filter((n) => n.kind === 'result').map((n) => n.message)).toEqual([
      `您的诉求（工单 ${c.workOrderNo}）办理结果：已解决：已恢复供水`,
      `您的诉求（工单 ${c.workOrderNo}）办理结果：已解决：已更换加压泵`,
    ]);
    expect(told.find((n) => n.kind === 'rehandling')?.message).toContain(beijingTimeText(c.deadlines.rehandling1!));
    expect(told.filter((n) => n.kind === 'callback_answered').map((n) => n.message)).toEqual([
      expect.stringContaining('（不满意）'),
      expect.stringContaining('（满意）'),
    ]);
  });

  it("an explained result and one that cannot be resolved say so before the unit's text", async () => {
    for (const [outcome, words] of [
      ['explained', '已解释说明'],
      ['unresolvable', '暂无法解决'],
    ] as const) {
      const appeal = await t.world.acceptedAppeal({ categoryCode: 'urban.road_damage', streetId: street });
      const c = await appeal.act(d.reportResultUpdate, {
        by: unit(street),
        outcome,
        summary: '已向诉求人说明规划情况',
      });
      expect((await toRequester(appeal)).find((n) => n.kind === 'result')?.message).toBe(
        `您的诉求（工单 ${c.workOrderNo}）办理结果：${words}：已向诉求人说明规划情况`,
      );
      // The center hears the outcome in the same words.
      expect((await appeal.notifications()).find((n) => n.kind === 'result' && n.to === 'center')?.message).toContain(
        `（${words}）`,
      );
    }
  });

  it('a call that did not reach the requester, then one that did within the same attempt: the answer is taken at once', async () => {
    const appeal = await resultReported();
    let c = await appeal.act(d.recordCallbackUpdate, { by: center, reached: false });
    expect(c).toMatchObject({ stage: 'callback', callback: { attempts: 1 } });
    c = await appeal.act(d.recordCallbackUpdate, {
      by: center,
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(c).toMatchObject({ stage: 'closed', callback: { attempts: 1, reached: true, satisfaction: 'satisfied' } });
    const types = c.timeline.map((e) => e.type);
    expect(types.indexOf('callback_unreached')).toBeLessThan(types.indexOf('callback_answered'));
    expect((await toRequester(appeal)).map((n) => n.kind)).toContain('callback_answered');
  });

  it('a callback that never reached the requester', async () => {
    const appeal = await resultReported();
    await appeal.act(d.recordCallbackUpdate, { by: center, reached: false });
    let c = await appeal.skip(hours(4));
    c = await appeal.skip(hours(4));
    c = await appeal.skip(hours(4));
    expect(c).toMatchObject({ stage: 'closed', callback: { reached: false } });
    expect((await toRequester(appeal)).map((n) => n.kind)).toContain('callback_unreachable');
  });

  it('a withdrawal and a merge', async () => {
    const withdrawn = await t.world.startAppeal();
    await withdrawn.act(d.withdrawAppealUpdate, { by: intake, reason: '问题已自行解决' });
    expect((await toRequester(withdrawn)).map((n) => n.kind)).toContain('withdrawn');

    const original = await t.world.startAppeal();
    const duplicate = await t.world.startAppeal();
    await duplicate.act(d.mergeAppealUpdate, { by: center, originalAppealId: original.appealId, reason: '重复' });
    const merged = (await toRequester(duplicate)).find((n) => n.kind === 'merged');
    // The requester is named the number they quote (their status shows the original's), never an internal id.
    const { workOrderNo } = await duplicate.settle();
    expect(merged?.message).toContain(`工单 ${workOrderNo}`);
    expect(merged?.message).not.toContain(original.appealId);
  });
});

describe('Art. 11: a risk to social stability', () => {
  it('is pushed to the government and to the center at intake', async () => {
    const appeal = await t.world.startAppeal({ stabilityRisk: true, categoryCode: 'utilities.gas.leak' });
    const pushed = (await appeal.notifications()).filter((n) => n.kind === 'stability_risk');
    expect(pushed.map((n) => n.to).sort()).toEqual(['center', 'government']);
    // What the government can act on: the number, the category, the district and street, in Chinese.
    const { workOrderNo } = await appeal.settle();
    for (const n of pushed) {
      expect(n.message).toContain(`工单 ${workOrderNo}`);
      expect(n.message).toContain('社会稳定风险');
      expect(n.message).toContain('类别：燃气泄漏');
      // The district and the street by the names people know them by.
      expect(n.message).toContain('区：朝阳区；街道：建外街道');
      expect(n.message).not.toContain(appeal.appealId);
    }
  });
});

describe("the other parties' messages", () => {
  it('the order names the work order number and its deadlines in Beijing time; an escalation says why in Chinese', async () => {
    const appeal = await t.world.startAppeal({ categoryCode: 'urban.road_damage', streetId: street });
    let c = await appeal.act(d.triageAppealUpdate, { by: center, disposition: 'dispatch' });
    const told = await appeal.notifications();
    const dispatched = told.find((n) => n.kind === 'dispatched' && n.to === `unit:${street}`)?.message;
    expect(dispatched).toBe(
      `工单 ${c.workOrderNo} 已派至你单位，请于 ${beijingTimeText(c.deadlines.acceptance!)} 前签收，${beijingTimeText(c.deadlines.handling!)} 前办结。`,
    );
    // The street's district government supervises it.
    expect(told.find((n) => n.kind === 'supervise')?.message).toBe(
      `工单 ${c.workOrderNo} 已派至你区的 建外街道 办理，请督办。`,
    );

    // Left unaccepted: reminded, then escalated, every party told in the same words.
    const missed = c.deadlines.acceptance!;
    // General policy: reminded at the missed deadline and 2 h later; one window after that, one tier up.
    await appeal.skipTo(missed);
    await appeal.skip(hours(2));
    c = await appeal.skip(hours(2));
    expect(c.escalationLevel).toBe(1);
    expect(c.escalations?.[0]?.reason).toBe(`截至 ${beijingTimeText(missed)} 未签收，已催办 2 次`);
    const after = await appeal.notifications();
    expect(after.find((n) => n.kind === 'acceptance_reminder')?.message).toBe(
      `催办：工单 ${c.workOrderNo} 应于 ${beijingTimeText(missed)} 前签收，你单位尚未签收，请立即签收。`,
    );
    const escalation = after.find((n) => n.kind === 'escalation')!;
    expect(escalation.message).toContain(`工单 ${c.workOrderNo} 升级至你单位协调（第 1 级）`);
    expect(escalation.message).toContain(c.escalations![0]!.reason);
    expect(escalation.message).toContain(beijingTimeText(c.escalations![0]!.dueAt));
    for (const n of after.filter((x) => x.to !== 'requester')) expect(n.message).not.toContain(appeal.appealId);
  });
});
