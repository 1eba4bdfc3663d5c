/**
 * Versioning guard: histories of representative cases, recorded by earlier code, must replay
 * on today's workflow code. A change that would break running cases fails here; guard it with
 * `patched()` instead. Refresh the fixtures with `UPDATE_FIXTURES=1 npm test` only when a
 * change is meant to be incompatible and no case of the old shape is running anywhere.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { temporal } from '../scripts/lib/temporalProto.js';
import { CURRENT_ERA, FIXTURES_DIR } from './harness/scenario.js';
import { PATCHES } from '../workflows/patches.js';
import { quietRuntime, workflowBundle } from './support/temporal.js';

const PATHS = [
  'happy-path',
  'objection-redispatch',
  'escalation-at-breach',
  'co-handler-late',
  'consultation',
  'withdrawal',
  'merge',
  'rehandling',
  'callback-on-result',
];
/**
 * Eight eras of cases: started before the `every-party` patch (they run the frozen legacy
 * process), before `local-records` (their records are activities), before `lean-case` (a
 * marker per change, an activity per deadline, step and notice), before `local-dispatch-plan`
 * (lean cases reading their dispatch plan as an activity), before `local-notices` (an activity
 * for every notification, endpoint or not), before `recorded-case` (no current case in the
 * record: the API asks the workflow), before `notices-with-steps` (a local activity for the
 * notifications beside the one for the steps), and today's.
 */
const REQUIRED = [
  ...['happy-path', 'objection-redispatch', 'escalation-at-breach', 'co-handler-late'].map((name) => `legacy-${name}`),
  ...PATHS.map((name) => `activity-records-${name}`),
  ...PATHS,
  ...PATHS.map((name) => `lean-${name}`),
  ...PATHS.map((name) => `local-plan-${name}`),
  ...PATHS.map((name) => `local-notices-${name}`),
  ...PATHS.map((name) => `recorded-case-${name}`),
  ...PATHS.map((name) => `${CURRENT_ERA}${name}`),
  // A dispatch whose triage Update carried the plan the API read with the decision (no read of its own).
  `${CURRENT_ERA}plan-given`,
  // An order left unaccepted through every tier: reminded and escalated at one instant (before
  // `reminder-window-before-escalation`), and escalated a window after the tier's last reminder.
  `${CURRENT_ERA}acceptance-reminders-at-once`,
  `${CURRENT_ERA}acceptance-reminders-window`,
  // A case closed after its handling deadline passed with no result: put back on time at the close
  // (before `closed-stays-overdue`, the era's `escalation-at-breach`), and closed overdue.
  `${CURRENT_ERA}escalation-at-breach-stays-overdue`,
  // A co-handler past the main deadline while the lead's extension request waits, then denied:
  // its workflow hears the request and the decision (since `co-handlers-hear-of-extension`).
  `${CURRENT_ERA}co-handler-extension-denied`,
  // A long case's first run, which ends by continuing as new, and a run that starts from the carried case.
  'continued-as-new-first-run',
  'continued-as-new-carried-run',
];

describe('replay of recorded histories', async () => {
  const files = (await readdir(FIXTURES_DIR)).filter((f) => f.endsWith('.history.pb')).sort();

  it('has a fixture for every representative path', () => {
    expect(files.map((f) => f.replace(/\.history\.pb$/, ''))).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    quietRuntime();
    const history = temporal.api.history.v1.History.decode(await readFile(join(FIXTURES_DIR, file)));
    expect(history.events?.length).toBeGreaterThan(10);
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `replay-${file}`);
  });
});

describe('which process a recorded case runs', async () => {
  const files = (await readdir(FIXTURES_DIR)).filter((f) => f.endsWith('.history.pb')).sort();
  /** Patch ids the history's markers carry (the payload text of each marker's details). */
  const patchesOf = async (file: string): Promise<string> => {
    const history = temporal.api.history.v1.History.decode(await readFile(join(FIXTURES_DIR, file)));
    return (history.events ?? [])
      .flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}))
      .flatMap((p) => p.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? []).toString())
      .join(' ');
  };

  it.each(files)('%s: its markers say which era it is from', async (file) => {
    const markers = await patchesOf(file);
    const legacy = file.startsWith('legacy-');
    const activityRecords = file.startsWith('activity-records-');
    // A lean case has every earlier change under its one marker; today's under its newer one.
    const current = file.startsWith(CURRENT_ERA);
    const recordedCase = file.startsWith('recorded-case-');
    const localPlan = file.startsWith('local-plan-');
    const localNotices = file.startsWith('local-notices-');
    const lean = file.startsWith('lean-');
    const oneMarker = current || recordedCase || localNotices || localPlan || lean;
    expect(markers.includes(PATCHES.noticesWithSteps)).toBe(current);
    expect(markers.includes(PATCHES.recordedCase)).toBe(recordedCase);
    expect(markers.includes(PATCHES.localNotices)).toBe(localNotices);
    expect(markers.includes(PATCHES.localDispatchPlan)).toBe(localPlan);
    expect(markers.includes(PATCHES.leanCase)).toBe(lean);
    expect(markers.includes(PATCHES.everyParty)).toBe(!legacy && !oneMarker);
    expect(markers.includes(PATCHES.localRecords)).toBe(!legacy && !activityRecords && !oneMarker);
    expect(markers.includes(PATCHES.closedStaysOverdue)).toBe(file.endsWith('-stays-overdue.history.pb'));
    expect(markers.includes(PATCHES.coHandlersHearOfExtension)).toBe(
      file.endsWith('-co-handler-extension-denied.history.pb'),
    );
  });
});
