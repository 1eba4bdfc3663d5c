import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { seedReferenceData } from '../db/seed/seed.js';
import { searchKnowledgeBase, searchTerms } from '../db/queries/knowledge.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
});
afterAll(async () => database?.drop());

/** Length of the longest run of characters two texts share. */
function longestSharedRun(a: string, b: string): number {
  let best = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + best + 1; j <= a.length && b.includes(a.slice(i, j)); j++) best = j - i;
  }
  return best;
}

describe('knowledge base search (Chinese)', () => {
  it('splits Chinese into characters and bigrams, keeps Latin words and numbers, drops filler', () => {
    // 怎 and 么 (and 怎么, 么办) are filler; 办 alone is kept (办理).
    expect(searchTerms('暖气不热，怎么办？ETC 18℃')).toEqual([
      '暖',
      '暖气',
      '气',
      '气不',
      '不',
      '不热',
      '热',
      '办',
      'etc',
      '18',
      'c',
    ]);
  });

  it('answers a question that shares no phrase with the entry', async () => {
    const question = '屋里暖气片摸着冰凉，温度才十几度，算不算不合格';
    const [best, ...rest] = await searchKnowledgeBase(database.db, { question });
    expect(best?.id).toBe('kb-heating-temperature');
    // The entry is 暖气不热，室内温度多少算达标？ — nothing longer than two characters in common.
    expect(longestSharedRun(question, `${best!.title} ${best!.question}`)).toBeLessThanOrEqual(2);
    expect(best!.score).toBeGreaterThan(rest[0]?.score ?? 0);
    expect(best!.answer).toContain('18');
  });

  it.each([
    ['在外省住院，北京的医疗保险能不能报', 'kb-medical-insurance-other-place'],
    ['小区门口被私家车堵死了出不去', 'kb-parking-illegal'],
    ['燃气灶点不着', 'kb-gas-outage'],
    ['押金房东不给退', 'kb-rental'],
    ['老板三个月没发工资', 'kb-wage-arrears'],
    ['水龙头流出来的水是黄色的', 'kb-water-quality'],
  ])('ranks the right entry first for %s', async (question, id) => {
    const [best] = await searchKnowledgeBase(database.db, { question });
    expect(best?.id).toBe(id);
  });

  it('returns nothing for a question no entry is about', async () => {
    expect(await searchKnowledgeBase(database.db, { question: '今天天气怎么样' })).toEqual([]);
    expect(await searchKnowledgeBase(database.db, { question: '？！' })).toEqual([]);
  });

  it('keeps to the category branch when a category is given, scores best first, and honours the limit', async () => {
    const question = '停电了，供电公司什么时候能修好';
    const all = await searchKnowledgeBase(database.db, { question, limit: 10 });
    const power = await searchKnowledgeBase(database.db, {
      question,
      categoryCode: 'utilities.power',
      limit: 10,
    });
    expect(power.length).toBeGreaterThan(0);
    expect(power.every((h) => h.categoryCode === null || h.categoryCode.startsWith('utilities.power'))).toBe(true);
    expect(power[0]!.id).toBe(all[0]!.id);
    for (const hits of [all, power]) {
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    }
    expect(await searchKnowledgeBase(database.db, { question, limit: 1 })).toHaveLength(1);
    // A leaf category also finds the entries of its ancestors' branch only: not water.
    const leaf = await searchKnowledgeBase(database.db, {
      question: '停水停电',
      categoryCode: 'utilities.power.outage',
      limit: 10,
    });
    expect(leaf.some((h) => h.categoryCode?.startsWith('utilities.water'))).toBe(false);
  });
});
