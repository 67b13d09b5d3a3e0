// Accessibility, first part: playback announces the current step through a polite live region
// (step, time, kind, who, what — the trace's event), in the page and the embed; the header's
// theme toggle switches light and dark, says which with aria-pressed, is kept across a reload,
// and a link's theme= still wins over it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliLink, cliTrace, closeSuite, launch, openPage, presetPath, startServer, waitStep, focusPage } from './harness.mjs';

const SEED = presetPath('seed');

/** The live region's text and attributes. */
async function announced(page) {
  return page.locator('[data-testid="announce"]').evaluate((el) => ({
    text: el.textContent,
    live: el.getAttribute('aria-live'),
    atomic: el.getAttribute('aria-atomic'),
    hidden: el.getBoundingClientRect().width <= 1,
  }));
}

/** What the region must say at step n (1-based) of `trace`. */
function expected(trace, n) {
  const ev = trace.events[n - 1];
  const who = !ev.from ? '' : !ev.to || ev.to === ev.from ? ` ${ev.from}` : ` ${ev.from} to ${ev.to}`;
  return `Step ${n} of ${trace.events.length}, ${ev.t.toFixed(3)}s: ${ev.kind}${who}, `;
}

const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
/** True for a dark colour (luminance below one half). */
function isDark(rgb) {
  const [r, g, b] = rgb.match(/\d+/g).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

describe('accessibility', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launch();
  });
  after(() => closeSuite({ server, browser }));

  test('the live region follows the player, step by step, with the trace event', async () => {
    const trace = cliTrace(SEED);
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    // The page opens at step 0.
    const first = await announced(page);
    assert.equal(first.live, 'polite');
    assert.equal(first.atomic, 'true');
    assert.ok(first.hidden, 'read, not shown');
    assert.equal(first.text, `Step 0 of ${trace.events.length}, before the first event`);
    await focusPage(page);
    await page.keyboard.press('End');
    await waitStep(page, trace.events.length);
    const end = await announced(page);
    assert.ok(end.text.startsWith(expected(trace, trace.events.length)), end.text);
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    assert.equal((await announced(page)).text, `Step 0 of ${trace.events.length}, before the first event`);
    for (let n = 1; n <= 6; n++) {
      await page.keyboard.press('ArrowRight');
      await waitStep(page, n);
      const said = (await announced(page)).text;
      assert.ok(said.startsWith(expected(trace, n)), `step ${n}: ${said}`);
      const method = trace.events[n - 1].method;
      if (method) assert.ok(said.includes(method), `step ${n} names ${method}: ${said}`);
    }
    await page.close();
  });

  test('the transcript lists the diagram as text and marks the current step', async () => {
    const trace = cliTrace(SEED);
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    await page.locator('[data-testid="transcript"] summary').click();
    await focusPage(page);
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    let at = 0;
    for (const n of [1, 2, 3, 6]) {
      for (; at < n; at++) {
        await page.keyboard.press('ArrowRight');
        await waitStep(page, at + 1);
      }
      const rows = await page.locator('[data-testid="transcript"] tbody tr[data-seq]').evaluateAll((trs) =>
        trs.map((tr) => ({ seq: Number(tr.dataset.seq), current: tr.getAttribute('aria-current'), cells: [...tr.cells].map((c) => c.textContent) })));
      // Every event drawn so far is listed, in trace order, and only step n is current.
      assert.deepEqual(rows.map((r) => r.seq), [...Array(n).keys()].map((i) => i + 1), `step ${n}`);
      assert.deepEqual(rows.filter((r) => r.current === 'step').map((r) => r.seq), [n]);
      for (const r of rows) {
        const ev = trace.events[r.seq - 1];
        assert.equal(r.cells[1], `${ev.t.toFixed(3)}s`, `time of ${r.seq}`);
        assert.equal(r.cells[2], ev.kind, `kind of ${r.seq}`);
        if (ev.method && ev.kind === 'return') assert.ok(r.cells[4].startsWith(`${ev.method} returns `), r.cells[4]);
        if (ev.method && ev.kind === 'call') assert.ok(r.cells[4].includes(ev.method), r.cells[4]);
      }
    }
    await page.close();
  });

  test('at 390 px (a phone) nothing scrolls sideways and the header controls are on screen', async () => {
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 5000 }).catch(() => {});
    const m = await page.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      boxes: ['[data-testid="theme"]', '.help-button', '[data-testid="title"]', '[data-testid="step-forward"]']
        .map((sel) => { const r = document.querySelector(sel).getBoundingClientRect(); return { sel, left: r.left, right: r.right }; }),
    }));
    assert.ok(m.sw <= 390, `page is ${m.sw} px wide`);
    for (const b of m.boxes) assert.ok(b.left >= 0 && b.right <= 390, `${b.sel} at ${b.left}–${b.right}`);
    await page.close();
  });

  test('the embed announces its steps too', async () => {
    const trace = cliTrace(SEED);
    const link = cliLink(SEED, { view: 'step=5' });
    const page = await openPage(browser.context, `${server.url}?embed=1${link.slice(link.indexOf('#'))}`);
    await waitStep(page, 5);
    assert.ok((await announced(page)).text.startsWith(expected(trace, 5)));
    await page.close();
  });

  test('the theme toggle switches, is kept across a reload, and a link theme= wins', async () => {
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    const toggle = page.locator('[data-testid="theme"]');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false', 'light by default (the browser prefers light)');
    assert.ok(!isDark(await background(page)));
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.ok(isDark(await background(page)), 'the page turned dark');
    await page.reload();
    await page.waitForFunction(() => window.__spoolscope?.ready === true);
    assert.equal(await page.locator('[data-testid="theme"]').getAttribute('aria-pressed'), 'true', 'kept');
    assert.ok(isDark(await background(page)));
    // A link that names the light theme opens light, whatever the reader picked before.
    const link = cliLink(SEED, { view: 'theme=light' });
    await page.goto(`${server.url}${link.slice(link.indexOf('#'))}`);
    await page.reload();
    await page.waitForFunction(() => window.__spoolscope?.ready === true);
    assert.equal(await page.locator('[data-testid="theme"]').getAttribute('aria-pressed'), 'false');
    assert.ok(!isDark(await background(page)));
    // Back to light for the reader, kept.
    await page.goto(`${server.url}#preset=seed`);
    await page.reload();
    await page.waitForFunction(() => window.__spoolscope?.ready === true);
    await page.locator('[data-testid="theme"]').click();
    assert.equal(await page.locator('[data-testid="theme"]').getAttribute('aria-pressed'), 'false');
    assert.ok(!isDark(await background(page)));
    await page.close();
  });

  test('under prefers-color-scheme: dark the page opens dark and the toggle says so', async () => {
    const context = browser.context;
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}#preset=seed`);
    await page.evaluate(() => localStorage.removeItem('spoolscope.theme.v1'));
    await page.reload();
    await page.waitForFunction(() => window.__spoolscope?.ready === true);
    assert.ok(isDark(await background(page)));
    assert.equal(await page.locator('[data-testid="theme"]').getAttribute('aria-pressed'), 'true');
    await page.locator('[data-testid="theme"]').click();
    assert.ok(!isDark(await background(page)), 'the reader can pick light over the browser');
    await page.evaluate(() => localStorage.removeItem('spoolscope.theme.v1'));
    await page.close();
  });
});
