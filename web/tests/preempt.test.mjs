// A slow run never blocks the next (issue "What a newcomer meets"; links.rs): while a long run
// (the 10,000-recipient preset) or a hostile script runs in one worker, the run on screen is
// stepped by another, and a newer run pre-empts the older one instead of waiting for it.
// Prints the times it measures.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliTrace, closeSuite, defaultSlug, openSuite, presetPath, presetText, setEditor, waitStep } from './harness.mjs';

describe('pre-emption', () => {
  let server;
  let browser;
  let page;
  const rows = [];
  before(async () => ({ server, browser, page } = await openSuite()));
  after(async () => {
    console.log('pre-emption (ms, measured in the page):');
    for (const [name, ms] of rows) console.log(`  ${name.padEnd(58)} ${String(Math.round(ms)).padStart(5)}`);
    await closeSuite({ server, browser });
  });

  /** Clicks preset `slow`, waits `wait` ms (its run is under way), then clicks `fast` and
   *  returns the ms until the page shows `fast`'s whole run. */
  const pickDuring = (slow, fast, total, wait) =>
    page.evaluate(
      async ({ slow, fast, total, wait }) => {
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        document.querySelector(`[data-testid="preset-${slow}"]`).click();
        await new Promise((r) => setTimeout(r, wait));
        const busy = window.__spoolscope.preset === slow && !window.__spoolscope.ready;
        const t0 = performance.now();
        document.querySelector(`[data-testid="preset-${fast}"]`).click();
        const s = () => window.__spoolscope;
        while (!(s().ready && s().preset === fast && s().total === total) && performance.now() - t0 < 20_000) {
          await frame();
        }
        return { ms: performance.now() - t0, busy };
      },
      { slow, fast, total, wait },
    );

  test('a preset picked while the 10,000-recipient run runs shows within 300 ms', async () => {
    const fast = defaultSlug();
    const total = cliTrace(presetPath(fast)).events.length;
    // Warm: the workers have started and compiled.
    await setEditor(page, `${presetText(fast)}\n# warm`);
    await page.waitForFunction(() => window.__spoolscope.ready && window.__spoolscope.errorLine === null);
    // A page open for a moment: its spare workers have compiled the module (links.rs).
    await new Promise((r) => setTimeout(r, 800));
    const r = await pickDuring('load-10k', fast, total, 120);
    rows.push(['preset click during the 10,000-recipient run → its run shown', r.ms]);
    assert.equal(r.busy, true, 'the 10,000-recipient run was still running when the preset was picked');
    assert.ok(r.ms <= 300, `the picked preset shows within 300 ms (${Math.round(r.ms)} ms)`);
    // The long run was dropped, not finished behind the page's back.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page.evaluate(() => window.__spoolscope.preset), fast);
    assert.equal(await page.evaluate(() => window.__spoolscope.total), total);
    assert.deepEqual(page.consoleErrors, []);
  });

  test('during a hostile run, the run on screen steps at once and a preset pre-empts it', async () => {
    const fast = defaultSlug();
    const total = cliTrace(presetPath(fast)).events.length;
    const base = presetText(fast);
    // Busy retries without end: the run-wide budget stops it after several hundred ms.
    const i = base.indexOf('fn submit_message(');
    const open = base.indexOf('{', i);
    const hostile = `${base.slice(0, open + 1)}\n    let n = 0; while n < 120000 { n += 1; } return MAPI_E_BUSY;\n${base.slice(open + 1)}`;
    await setEditor(page, `${base}\n# good`);
    await page.waitForFunction(() => window.__spoolscope.ready && window.__spoolscope.errorLine === null);
    await page.click('[data-testid="jump-start"]');
    await waitStep(page, 0);
    await setEditor(page, hostile);
    const m = await page.evaluate(async (total) => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      // Past the typing pause: the hostile run has started.
      await new Promise((r) => setTimeout(r, 350));
      let t0 = performance.now();
      document.querySelector('[data-testid="step-forward"]').click();
      while (window.__spoolscope.step !== 1 && performance.now() - t0 < 20_000) await frame();
      const step = performance.now() - t0;
      const running = document.querySelector('[data-testid="editor-error"]') === null;
      t0 = performance.now();
      document.querySelector('[data-testid="preset-retries"]').click();
      const s = () => window.__spoolscope;
      while (!(s().ready && s().preset === 'retries') && performance.now() - t0 < 20_000) await frame();
      return { step, running, preset: performance.now() - t0, total };
    }, total);
    rows.push(['step click during a hostile run → step shown', m.step]);
    rows.push(['preset click during a hostile run → its run shown', m.preset]);
    assert.equal(m.running, true, 'the hostile run was still running when the player was clicked');
    assert.ok(m.step <= 100, `the step shows within 100 ms (${Math.round(m.step)} ms)`);
    assert.ok(m.preset <= 300, `the preset shows within 300 ms (${Math.round(m.preset)} ms)`);
    assert.deepEqual(page.consoleErrors, []);
  });
});
