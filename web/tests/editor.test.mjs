// Editing: a syntax error shows the engine's message at its line while the last good run stays;
// a changed return code redraws the diagram as the CLI runs it; an endless loop ends with the
// engine's limit message while the page keeps answering clicks.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  cliOnText,
  closeSuite,
  defaultSlug,
  editorText,
  launch,
  openPage,
  openPreset,
  openSuite,
  presetText,
  readArrows,
  readWarnings,
  scrubTo,
  setEditor,
  startServer,
  state,
  waitStep,
  withBusy,
  withEndlessLoop,
  withResult,
  withSyntaxError,
} from './harness.mjs';

const error = (page) => page.locator('[data-testid="editor-error"]');

describe('editor', () => {
  let server;
  let browser;
  let page;
  let original;
  let good;
  const slug = defaultSlug();

  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  beforeEach(async () => {
    // Back to the untouched preset (its text in the editor, its run loaded), at its last step.
    await openPreset(page, slug);
    const want = presetText(slug).trimEnd();
    await page.waitForFunction(
      (w) => document.querySelector('[data-testid="editor"]').value.trimEnd() === w,
      want,
      { timeout: 15_000 },
    );
    original = await editorText(page);
    good = cliOnText('run', original);
    assert.ok(good.ok, 'the preset runs in the CLI');
    const total = good.trace.events.length;
    await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t, total, {
      timeout: 30_000,
    });
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, total);
  });

  test('a Rhai syntax error appears at its line; the last good run stays', async () => {
    const before = await state(page);
    const arrowsBefore = await readArrows(page);
    const { text } = withSyntaxError(original);
    const cli = cliOnText('check', text);
    assert.equal(cli.ok, false, 'the CLI rejects the edit');

    await setEditor(page, text);
    await error(page).waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await error(page).getAttribute('data-line'), String(cli.line), 'error line (spoolscope check)');
    assert.ok((await error(page).textContent()).includes(cli.message), `the message is the engine's: ${cli.message}`);

    const after = await state(page);
    assert.equal(after.total, before.total, 'the last good run stays');
    assert.equal(after.step, before.step, 'the player keeps its step');
    assert.deepEqual(await readArrows(page), arrowsBefore, 'the diagram stays');

    await setEditor(page, original);
    await error(page).waitFor({ state: 'hidden', timeout: 15_000 });
  });

  test('MAPI_E_BUSY instead of S_OK: the diagram shows the retry', async () => {
    const { text } = withBusy(original);
    const cli = cliOnText('run', text);
    assert.ok(cli.ok, 'the edited scenario runs in the CLI');
    const total = cli.trace.events.length;
    assert.notEqual(total, good.trace.events.length);

    await setEditor(page, text);
    await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t, total, {
      timeout: 30_000,
    });
    assert.equal(await error(page).isVisible(), false, 'no error shown');

    const timer = cli.trace.events.find((e) => e.kind === 'timer');
    const retry = cli.trace.events.find((e) => e.kind === 'call' && e.method === 'SubmitMessage' && e.attempt >= 2);
    assert.ok(timer && retry, 'the CLI run has a retry timer and a second attempt');
    for (const e of [timer, retry]) {
      await scrubTo(page, e.seq);
      const arrow = (await readArrows(page)).find((a) => a.seq === e.seq);
      assert.ok(arrow, `step ${e.seq} (${e.kind} ${e.method ?? e.timer}) has no arrow`);
      assert.equal(arrow.kind, e.kind);
      assert.equal(arrow.current, true);
      if (e.method) assert.equal(arrow.method, e.method);
    }
  });

  test('a contract warning is listed and links to its step, the event that caused it', async () => {
    const { text } = withResult(original, 'MAPI_W_ERRORS_RETURNED');
    const cli = cliOnText('run', text);
    assert.ok(cli.ok && cli.trace.warnings.length > 0, 'the CLI warns about MAPI_W_ERRORS_RETURNED');
    const total = cli.trace.events.length;
    await setEditor(page, text);
    // (the run may have as many steps as before: wait for the warning itself)
    await page.waitForFunction(
      (t) =>
        window.__spoolscope.ready &&
        window.__spoolscope.total === t &&
        document.querySelector('[data-testid="warnings"] a[data-seq]') !== null,
      total,
      { timeout: 30_000 },
    );
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, total);
    const want = [...new Set(cli.trace.warnings.map((w) => w.seq))].sort((a, b) => a - b);
    const shown = [...new Set(await readWarnings(page))].sort((a, b) => a - b);
    assert.deepEqual(shown, want, 'one warning link per warned step');
    await page.click(`[data-testid="warnings"] a[data-seq="${want[0]}"]`);
    await waitStep(page, want[0]);
    // It points at its cause: the SubmitMessage return that gave the code, not a later event.
    const current = page.locator('[data-testid="diagram"] [data-testid="arrow"].current');
    assert.equal(await current.getAttribute('data-kind'), 'return');
    assert.equal(await current.getAttribute('data-method'), 'SubmitMessage');
    assert.equal(cli.trace.events[want[0] - 1].result, 'MAPI_W_ERRORS_RETURNED');
  });

  test('an endless loop ends with the limit message; the page answers clicks meanwhile', async () => {
    const before = await state(page);
    const { text } = withEndlessLoop(original);
    const cli = cliOnText('run', text);
    assert.equal(cli.ok, false, 'the CLI stops the script');

    await setEditor(page, text);
    // While the worker runs the script, the page still answers.
    const t0 = Date.now();
    await page.click('[data-testid="jump-start"]', { timeout: 2_000 });
    await waitStep(page, 0, 2_000);
    await page.click('[data-testid="step-forward"]', { timeout: 2_000 });
    await waitStep(page, 1, 2_000);
    assert.ok(Date.now() - t0 < 3_000, 'clicks answered within 3 s');

    await error(page).waitFor({ state: 'visible', timeout: 60_000 });
    const shown = await error(page).textContent();
    assert.ok(shown.includes(cli.message), `the engine's limit message: ${cli.message} (shown: ${shown})`);
    assert.equal(await error(page).getAttribute('data-line'), String(cli.line), 'error line');
    assert.equal((await state(page)).total, before.total, 'the last good run stays');
    assert.ok((await readArrows(page)).length > 0, 'the diagram stays');

    // and after it, still alive
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, before.total);
  });
});

// The page starts its worker a moment after the first ready render; an edit that comes first
// must not wait for that (test seam: the delayed start is pushed to 60 s).
describe('an edit right after opening', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launch();
    await browser.context.addInitScript(() => {
      window.__spoolscopeTestHook = { workerDelayMs: 60_000 };
    });
  });
  after(() => closeSuite({ server, browser }));

  test('runs in a worker the edit starts', async () => {
    const page = await openPage(browser.context, server.url);
    const { text } = withBusy(presetText(defaultSlug()));
    const want = cliOnText('run', text);
    assert.ok(want.ok, 'the edited text runs in the CLI');
    await setEditor(page, text);
    await page.waitForFunction(
      (t) => window.__spoolscope.ready && window.__spoolscope.total === t,
      want.trace.events.length,
      { timeout: 15_000 },
    );
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });
});
