// Stepping: at step n (after event seq n) the page shows what the CLI's trace says — the diagram
// arrows (seq, kind, method, from, to; the current one highlighted), the virtual time, the
// PR_RESPONSIBILITY a property event just set, the reports produced so far — and the same step
// reached by scrubbing, by stepping forward or by stepping back looks the same.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cliTrace,
  closeSuite,
  focusPage,
  isBlank,
  openPreset,
  openSuite,
  presetPath,
  presetSlugs,
  readArrows,
  readRecipients,
  readStatusRows,
  recipientsAt,
  scrubTo,
  state,
  timeAt,
  waitStep,
} from './harness.mjs';

async function snapshot(page) {
  const s = await state(page);
  delete s.playing;
  return { state: s, rows: await readRecipients(page), arrows: await readArrows(page), status: await readStatusRows(page) };
}

/** Checks a snapshot at step n against the trace. */
function checkStep(snap, trace, n) {
  const N = trace.events.length;
  const at = `step ${n}`;
  assert.equal(snap.state.step, n, `${at}: window.__spoolscope.step`);
  assert.match(snap.state.stepText, new RegExp(`^${n}\\s*/\\s*${N}$`), `${at}: step text`);
  assert.equal(snap.state.time, timeAt(trace, n), `${at}: virtual time`);
  assert.equal(snap.state.scrubValue, n, `${at}: scrubber`);

  // Diagram: each drawn event (data-testid="arrow": calls, returns, timers, and the notes and
  // property changes drawn on one lifeline) is the trace event with its seq.
  if (N <= 2000 && n > 0) assert.ok(snap.arrows.length > 0, `${at}: the diagram is empty`);
  for (const a of snap.arrows) {
    const e = trace.events[a.seq - 1];
    assert.ok(e && e.seq === a.seq, `${at}: data-seq=${a.seq} is not a trace event`);
    assert.equal(a.kind, e.kind, `${at}: event ${a.seq} data-kind`);
    assert.equal(a.from, e.from ?? null, `${at}: event ${a.seq} data-from`);
    if (e.to != null) assert.equal(a.to, e.to, `${at}: event ${a.seq} data-to`);
    else assert.ok(a.to == null || a.to === '' || a.to === e.from, `${at}: event ${a.seq} has no other end, data-to=${a.to}`);
    if (e.method != null) assert.equal(a.method, e.method, `${at}: event ${a.seq} data-method`);
  }
  const current = snap.arrows.filter((a) => a.current).map((a) => a.seq);
  if (n > 0) assert.deepEqual(current, [n], `${at}: the current step must be drawn, highlighted, alone`);
  else assert.deepEqual(current, [], `${at}: nothing is current before the first event`);
  const ev = n > 0 ? trace.events[n - 1] : null;

  // Status rows: a ModifyStatusRow call just set its transport's STATUS_* bits. (The spooler
  // changes bits without a call too, e.g. on NOTIFY_END_OUTBOUND, so other steps are not checked.)
  const set = n > 0 ? trace.events[n - 1] : null;
  if (set && set.kind === 'call' && set.method === 'ModifyStatusRow' && set.status) {
    const row = snap.status.find((r) => r.transport === set.from);
    assert.ok(row, `${at}: no status row for ${set.from}`);
    for (const bit of set.status) assert.ok(row.status.includes(bit), `${at}: ${set.from} status row lacks ${bit}: ${row.status}`);
  }

  // Recipient rows: what the trace itself determines at this step.
  const want = recipientsAt(trace, n);
  for (const row of snap.rows) {
    const key = `${row.message}/${row.index}`;
    const w = want.get(key);
    assert.ok(w, `${at}: row ${key} is not a recipient of the scenario`);
    const resp = row.cols.responsibility;
    if (ev?.kind === 'property' && ev.property === 'PR_RESPONSIBILITY' && `${ev.message}/${ev.recipient}` === key) {
      assert.equal(resp, ev.value ? 'TRUE' : 'FALSE', `${at}: ${key} PR_RESPONSIBILITY was just set`);
    }
    if (n === 0) assert.ok(resp === 'FALSE' || isBlank(resp), `${at}: ${key} PR_RESPONSIBILITY before any call: ${resp}`);
    if (n === N) {
      const fin = trace.recipients.find((r) => `${r.message}/${r.index}` === key);
      assert.equal(resp, fin.responsibility ? 'TRUE' : 'FALSE', `${at}: ${key} final PR_RESPONSIBILITY`);
      assert.equal(row.cols.status, fin.status, `${at}: ${key} final status`);
    }
    const report = row.cols.report;
    if (w.report === null) assert.ok(isBlank(report), `${at}: ${key} has report ${report} before any StatusRecips/report names it`);
    else if (typeof w.report === 'string') assert.equal(report, w.report, `${at}: ${key} report (produced at or before this step)`);
  }
}

function sameView(a, b, what) {
  assert.deepEqual(b.state, a.state, `${what}: player state differs`);
  assert.deepEqual(b.rows, a.rows, `${what}: recipient rows differ`);
  assert.deepEqual(b.arrows, a.arrows, `${what}: diagram arrows differ`);
  assert.deepEqual(b.status, a.status, `${what}: status rows differ`);
}

/** Steps worth looking at: both ends, every property change and report, and an even sample. */
function interestingSteps(trace, cap) {
  const N = trace.events.length;
  const set = new Set([0, 1, N - 1, N]);
  for (const e of trace.events) {
    if (e.kind === 'property' || e.kind === 'timer' || (e.entries && e.entries.length)) set.add(e.seq);
    if (['SubmitMessage', 'EndMessage', 'TransportNotify', 'ModifyStatusRow'].includes(e.method)) set.add(e.seq);
  }
  for (const r of trace.reports) set.add(r.seq), set.add(r.seq - 1);
  let steps = [...set].filter((n) => n >= 0 && n <= N).sort((a, b) => a - b);
  if (steps.length > cap) {
    const keep = new Set([0, N]);
    for (let i = 0; i < cap - 2; i++) keep.add(steps[Math.floor((i * steps.length) / (cap - 2))]);
    steps = [...keep].sort((a, b) => a - b);
  }
  // a fixed shuffle, so that scrubbing goes backwards as well as forwards
  return steps.map((n, i) => [((i * 7919) % 1009) + n / 1e6, n]).sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

describe('steps', () => {
  let server;
  let browser;
  let page;

  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  for (const slug of presetSlugs()) {
    test(`preset ${slug}: scrub, step forward and back; compare with the CLI trace`, async () => {
      const trace = cliTrace(presetPath(slug));
      const N = trace.events.length;
      await openPreset(page, slug, N);
      const big = N > 2000;
      for (const n of interestingSteps(trace, big ? 12 : 40)) {
        await scrubTo(page, n);
        const here = await snapshot(page);
        checkStep(here, trace, n);
        if (n < N) {
          await page.click('[data-testid="step-forward"]');
          await waitStep(page, n + 1);
          checkStep(await snapshot(page), trace, n + 1);
          await page.click('[data-testid="step-back"]');
          await waitStep(page, n);
          sameView(here, await snapshot(page), `${slug} step ${n} after → then ←`);
        }
      }
    });
  }

  test('seed: walk every step forward with →, then back with ←: the same views', async () => {
    const slug = presetSlugs().includes('seed') ? 'seed' : presetSlugs()[0];
    const trace = cliTrace(presetPath(slug));
    const N = trace.events.length;
    await openPreset(page, slug, N);
    await focusPage(page);
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    const views = [await snapshot(page)];
    checkStep(views[0], trace, 0);
    for (let n = 1; n <= N; n++) {
      await page.keyboard.press('ArrowRight');
      await waitStep(page, n);
      views.push(await snapshot(page));
      checkStep(views[n], trace, n);
    }
    for (let n = N - 1; n >= 0; n--) {
      await page.keyboard.press('ArrowLeft');
      await waitStep(page, n);
      sameView(views[n], await snapshot(page), `step ${n} on the way back`);
    }
  });

  test('clicking an arrow opens its details', async () => {
    const slug = presetSlugs().includes('seed') ? 'seed' : presetSlugs()[0];
    const trace = cliTrace(presetPath(slug));
    await openPreset(page, slug, trace.events.length);
    const ret = trace.events.find((e) => e.kind === 'return' && e.method === 'SubmitMessage' && e.from !== 'store');
    await scrubTo(page, ret.seq);
    const arrow = page.locator(`[data-testid="diagram"] [data-testid="arrow"][data-seq="${ret.seq}"]`);
    await arrow.evaluate((g) => g.scrollIntoView({ block: 'center', inline: 'center' }));
    // A click event on the arrow itself: a pointer click at coordinates could land on a
    // neighbour if the diagram scrolls between aiming and clicking (it keeps the current step
    // in view), and a bare horizontal line has a zero-height box Playwright calls invisible.
    await arrow.dispatchEvent('click');
    const details = page.locator('[data-testid="details"]');
    await details.waitFor({ state: 'visible' });
    const text = await details.textContent();
    assert.ok(text.includes('SubmitMessage'), 'details name the method');
    assert.ok(text.includes(ret.result), `details name the result ${ret.result}`);
    if (ret.reference != null) assert.ok(text.includes(String(ret.reference)), 'details show the reference value');
  });
});
