// The page loads from a plain static server, runs the engine in a Web Worker, fetches nothing
// from outside, and answers every keyboard shortcut.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cliTrace,
  closeSuite,
  defaultSlug,
  focusPage,
  openSuite,
  presetPath,
  presetSlugs,
  state,
  timeAt,
  waitStep,
} from './harness.mjs';

describe('page', () => {
  let server;
  let browser;
  let page;

  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  test('loads: ready, default preset, no errors, nothing from outside', async () => {
    const s = await state(page);
    const slug = defaultSlug();
    const trace = cliTrace(presetPath(slug));
    assert.equal(s.ready, true);
    assert.equal(s.preset, slug, 'the page opens with the default preset');
    assert.equal(s.title, trace.title);
    assert.equal(s.total, trace.events.length, 'the default run has the CLI trace length');
    assert.match(s.stepText, new RegExp(`^${s.step}\\s*/\\s*${trace.events.length}$`));
    assert.equal(s.time, timeAt(trace, s.step));
    assert.ok((await page.title()).length > 0, 'the page has a title');
    assert.deepEqual(page.consoleErrors, [], 'no console errors');
    assert.deepEqual(browser.errors, [], 'no page errors, no request outside 127.0.0.1');
  });

  test('every part of the page is there', async () => {
    for (const id of [
      'editor', 'presets', 'play', 'step-back', 'step-forward', 'jump-start', 'jump-end', 'speed',
      'scrubber', 'time', 'step', 'diagram', 'recipients', 'queue', 'warnings',
    ]) {
      assert.equal(await page.locator(`[data-testid="${id}"]`).count() > 0, true, `data-testid="${id}" missing`);
    }
    const buttons = await page.$$eval('[data-testid="presets"] [data-testid^="preset-"]', (bs) =>
      bs.map((b) => b.dataset.testid.slice('preset-'.length)).sort(),
    );
    assert.deepEqual(buttons, presetSlugs(), 'one preset button per web/presets/*.toml');
    const scrub = await state(page);
    assert.equal(scrub.scrubMax, scrub.total, 'the scrubber spans the whole run');
  });

  test('the engine runs in a Web Worker on the page\'s own wasm file', async () => {
    // The worker starts once the opening run is on screen (link.rs).
    for (let i = 0; i < 100 && page.workers().length === 0; i++) await page.waitForTimeout(50);
    assert.ok(page.workers().length > 0, 'no Web Worker is running');
    // One wasm file for both: the page and the worker each load it (no second module).
    const wasm = server.requests.filter((p) => p.endsWith('.wasm'));
    assert.equal(new Set(wasm).size, 1, `one wasm file expected, got ${[...new Set(wasm)].join(', ')}`);
    for (let i = 0; i < 100 && server.requests.filter((p) => p.endsWith('.wasm')).length < 2; i++) {
      await page.waitForTimeout(50);
    }
    assert.ok(server.requests.filter((p) => p.endsWith('.wasm')).length >= 2, 'the worker did not load the wasm file');
  });

  test('keyboard: Space, ←/→, Home/End, ? and Escape', async () => {
    const { total } = await state(page);
    await focusPage(page);

    await page.keyboard.press('Home');
    await waitStep(page, 0);
    await page.keyboard.press('ArrowRight');
    await waitStep(page, 1);
    await page.keyboard.press('ArrowRight');
    await waitStep(page, 2);
    await page.keyboard.press('ArrowLeft');
    await waitStep(page, 1);
    await page.keyboard.press('End');
    await waitStep(page, total);
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(100);
    assert.equal((await state(page)).step, total, '→ at the end stays at the end');
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    await page.keyboard.press('ArrowLeft');
    await page.waitForTimeout(100);
    assert.equal((await state(page)).step, 0, '← at the start stays at the start');

    // Space plays: the step moves on by itself and the button says so; Space again pauses.
    await page.keyboard.press('Space');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') === 'true',
    );
    await page.waitForFunction(() => window.__spoolscope.step > 0, null, { timeout: 10_000 });
    await page.keyboard.press('Space');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') !== 'true',
    );
    const paused = (await state(page)).step;
    await page.waitForTimeout(600);
    assert.equal((await state(page)).step, paused, 'paused: the step no longer moves');

    // ? opens the help overlay listing every shortcut; Escape closes it.
    const help = page.locator('[data-testid="help"]');
    await page.keyboard.press('?');
    await help.waitFor({ state: 'visible' });
    const text = (await help.textContent()).toLowerCase();
    for (const key of ['space', '←', '→', 'home', 'end', '?']) {
      assert.ok(text.includes(key), `the help overlay does not mention ${key}`);
    }
    // It is a card over the page, not text over it.
    const bg = await help.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.ok(!/rgba\(.*,\s*0\)|transparent/.test(bg), `the help overlay has no background (${bg})`);
    // ... and what a transport script may call.
    for (const call of ['accept(r)', 'fail(r, reason, diag, text)', 'sub_string', 'filter', 'parse_int']) {
      assert.ok(text.includes(call), `the help overlay does not mention ${call}`);
    }
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });

  test('shortcuts do not fire while typing in the editor', async () => {
    await focusPage(page);
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    const editor = page.locator('[data-testid="editor"]');
    await editor.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('End');
    await page.waitForTimeout(200);
    assert.equal((await state(page)).step, 0, '→/End in the editor moved the player');
    await focusPage(page);
  });

  test('player buttons', async () => {
    const { total } = await state(page);
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, total);
    await page.click('[data-testid="step-back"]');
    await waitStep(page, total - 1);
    await page.click('[data-testid="jump-start"]');
    await waitStep(page, 0);
    await page.click('[data-testid="step-forward"]');
    await waitStep(page, 1);
    // play → pause with the button
    await page.click('[data-testid="play"]');
    await page.waitForFunction(() => window.__spoolscope.step > 1, null, { timeout: 10_000 });
    await page.click('[data-testid="play"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') !== 'true',
    );
    const speeds = await page.$$eval('[data-testid="speed"] option', (os) => os.map((o) => o.value));
    assert.ok(speeds.length >= 2, 'the speed control offers at least two speeds');
  });
});
