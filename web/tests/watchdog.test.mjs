// The worker watchdog: a worker that stops answering (here its thread is made to spin) is
// replaced; the run it owed fails with a message at line 1, the last good run stays and can be
// stepped (the new worker is given it again), and the next edit runs in the new worker.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cliOnText,
  defaultSlug,
  focusPage,
  launch,
  openPage,
  presetText,
  setEditor,
  startServer,
  waitStep,
  withBusy,
} from './harness.mjs';

const error = (page) => page.locator('[data-testid="editor-error"]');

describe('worker watchdog', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launch();
    // Test seam: 1.5 s instead of 30 s.
    await browser.context.addInitScript(() => {
      window.__spoolscopeTestHook = { watchdogMs: 1500 };
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a stuck worker is replaced and the page goes on', async () => {
    const page = await openPage(browser.context, server.url);
    const text = presetText(defaultSlug());
    const runs = (t) => cliOnText('run', t).trace.events.length;
    const waitTotal = (total) =>
      page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t, total, {
        timeout: 20_000,
      });

    // The worker answers (an edit is a worker run, not the page's own).
    const first = `${text}\n# worker run`;
    await setEditor(page, first);
    await waitTotal(runs(first));
    assert.ok(page.workers().length >= 1);

    // Every worker's thread spins (the one holding the run on screen and the one that runs the
    // next edit): they will answer nothing more.
    for (const worker of page.workers()) {
      worker.evaluate(() => {
        const t = Date.now();
        while (Date.now() - t < 120_000);
      }).catch(() => {});
    }

    const busy = withBusy(text).text;
    await setEditor(page, busy);
    await error(page).waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await error(page).textContent(), /did not answer within 1500 ms and was restarted/);
    // The last good run stays on screen, and stepping it works (frames from a new worker,
    // once the stuck one that held the run has been replaced too).
    assert.equal(await page.evaluate(() => window.__spoolscope.total), runs(first));
    await focusPage(page);
    await page.keyboard.press('Home');
    await waitStep(page, 0, 15_000);
    await page.keyboard.press('ArrowRight');
    await waitStep(page, 1);
    assert.equal(page.workers().length >= 2, true, 'a new worker was started');

    // The next edit runs in the new worker.
    const next = `${busy}\n# again`;
    await setEditor(page, next);
    await waitTotal(runs(next));
    assert.equal(await error(page).isVisible(), false);
  });
});
