/**
 * Messages name units and districts as people know them: the workflow writes references, the
 * notices' activities put the directory's names in (read from PostgreSQL, kept a few minutes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { partyRefsIn, unitRef, districtRef, withPartyNames } from '../domain/partyNames.js';
import { partyMessages } from '../domain/partyMessages.js';
import { partyNamer } from '../activities/notifications/partyNames.js';
import { units } from '../db/schema/reference.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const appeal = { appealId: 'a-1', workOrderNo: '20261202-000007' };

describe('references to parties in messages', () => {
  it('are found by kind, once each, and replaced by a name or else by the id', () => {
    const texts = [
      partyMessages.supervise(appeal, 'chaoyang-jianwai'),
      partyMessages.stabilityRisk(appeal, { categoryCode: 'x', districtId: 'chaoyang', streetId: 'chaoyang-jianwai' }),
      partyMessages.objectionGranted(appeal, 'No.Such Unit'),
    ];
    expect(partyRefsIn(texts)).toEqual({ unit: ['chaoyang-jianwai'], district: ['chaoyang'], category: ['x'] });
    // An id with a space is not a reference: it stays as written.
    expect(texts[2]).toContain('{unit:No.Such Unit}');
    const names = {
      unit: new Map([['chaoyang-jianwai', '建外街道']]),
      district: new Map([['chaoyang', '朝阳区']]),
      category: new Map([['x', '某类']]),
    };
    expect(withPartyNames(texts[0]!, names)).toBe('工单 20261202-000007 已派至你区的 建外街道 办理，请督办。');
    expect(withPartyNames(texts[1]!, names)).toContain('类别：某类；区：朝阳区；街道：建外街道。');
    expect(withPartyNames(`${unitRef('gone')} · ${districtRef('nowhere')}`, names)).toBe('gone · nowhere');
  });
});

describe('the namer of the notices’ activities', () => {
  it('puts the directory’s names in, reads only for messages with references, and keeps names a while', async () => {
    let now = Date.parse('2026-12-02T03:00:00Z');
    const named = partyNamer(database.db, () => now);
    const message = (text: string) => ({ appealId: 'a-1', kind: 'k', message: text });

    const plain = [message('没有单位的消息')];
    expect(await named(plain)).toBe(plain);

    const [told] = await named([message(partyMessages.resultReported(appeal, 'beijing-water', 'resolved'))]);
    expect(told!.message).toBe(
      '工单 20261202-000007：北京市自来水集团有限责任公司 已答复办理结果（已解决），请安排回访。',
    );
    const [risk] = await named([
      message(partyMessages.stabilityRisk(appeal, { categoryCode: 'utilities.gas.leak', districtId: 'chaoyang' })),
    ]);
    expect(risk!.message).toContain('类别：燃气泄漏；区：朝阳区；街道：未知。');

    // Renamed in the directory: the kept name holds for a few minutes, then the new one is read.
    await database.db
      .update(units)
      .set({ name: '北京市自来水集团有限责任公司（新）' })
      .where(eq(units.id, 'beijing-water'));
    const result = () => named([message(partyMessages.resultReported(appeal, 'beijing-water', 'resolved'))]);
    expect((await result())[0]!.message).toContain('北京市自来水集团有限责任公司 已答复');
    now += 6 * 60_000;
    expect((await result())[0]!.message).toContain('北京市自来水集团有限责任公司（新） 已答复');

    // A unit the directory does not know is named by its id.
    const [unknown] = await named([message(partyMessages.reportIn(appeal, 'no-such-unit', '已到场'))]);
    expect(unknown!.message).toBe('no-such-unit 已就 工单 20261202-000007 报到：已到场');
  });
});
