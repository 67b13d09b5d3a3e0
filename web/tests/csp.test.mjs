// The Content-Security-Policy (links §7, scripts/csp.py): every served page — the playground,
// its embed mode and the book's pages — carries the policy as a meta tag (no inline script, no
// 'unsafe-eval', only 'wasm-unsafe-eval', object-src 'none', base-uri 'none') and the server
// sends `frame-ancestors` from dist/_headers. Under it the playground loads, runs an edit in
// its worker, exports, opens details; an embed runs framed by another origin; a book page runs
// its own scripts and its embeds: with no `securitypolicyviolation` in any frame and no CSP
// console message. A control proves the listener hears: an injected inline script is refused
// and reported (eval cannot be tried from the test: DevTools evaluation is exempt from the
// policy; the policy's text has no 'unsafe-eval').

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DIST,
  clickEvent,
  closeSuite,
  download,
  launch,
  openPage,
  openPreset,
  cliTrace,
  presetPath,
  setEditor,
  startFiles,
  startServer,
  waitReady,
  withBusy,
  presetText,
  tempScenario,
} from './harness.mjs';

/** The policy of a page's `<meta http-equiv="Content-Security-Policy">`, as directive → sources. */
function metaPolicy(html) {
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
  assert.equal(metas.length, 1, 'one policy meta tag');
  const policy = new Map();
  for (const part of metas[0][1].split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) policy.set(name, sources);
  }
  return policy;
}

/** Every HTML page under `dir`. */
function htmlPages(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...htmlPages(path));
    else if (name.endsWith('.html')) out.push(path);
  }
  return out;
}

/** The violations every frame of `page` heard, and CSP lines of its console. */
async function violations(page) {
  const found = [];
  for (const frame of page.frames()) {
    const v = await frame.evaluate(() => window.__csp ?? []).catch(() => []);
    found.push(...v.map((x) => `${frame.url()}: ${x}`));
  }
  return [...found, ...page.cspConsole];
}

describe('Content-Security-Policy', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launch();
    // In every frame, before the page's own scripts: what the policy refused.
    await browser.context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener(
        'securitypolicyviolation',
        (e) => window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
        true,
      );
    });
    browser.context.on('page', (page) => {
      page.cspConsole = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) page.cspConsole.push(`console: ${m.text()}`);
      });
    });
  });
  after(() => closeSuite({ server, browser }));

  test('every built page carries the policy and has no inline script', async () => {
    const pages = htmlPages(DIST);
    assert.ok(pages.some((p) => p.endsWith('book/status-recips.html')), 'the book is built into dist/book');
    for (const file of pages) {
      const where = relative(DIST, file);
      const html = readFileSync(file, 'utf8');
      const policy = metaPolicy(html);
      const script = policy.get('script-src');
      assert.ok(script, `${where}: script-src`);
      assert.ok(script.includes("'wasm-unsafe-eval'"), `${where}: wasm-unsafe-eval`);
      for (const bad of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'blob:']) {
        assert.ok(!script.includes(bad), `${where}: script-src without ${bad}`);
      }
      assert.deepEqual(policy.get('object-src'), ["'none'"], `${where}: object-src 'none'`);
      assert.deepEqual(policy.get('base-uri'), ["'none'"], `${where}: base-uri 'none'`);
      assert.deepEqual(policy.get('default-src'), ["'none'"], `${where}: default-src 'none'`);
      assert.ok(!policy.has('frame-ancestors'), `${where}: frame-ancestors is a header (ignored in meta)`);
      // The policy comes before anything the page loads.
      assert.ok(html.indexOf('Content-Security-Policy') < html.search(/<script|<link/i), `${where}: the policy first`);
      for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
        assert.ok(/\ssrc=/.test(m[1] ?? '') && !m[2].trim(), `${where}: no inline script (${m[0].slice(0, 60)})`);
      }
      assert.doesNotMatch(html, /<[^>]*\son[a-z]+\s*=/i, `${where}: no inline event handler`);
    }
    for (const path of ['', '?embed=1', 'book/status-recips.html']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.headers.get('content-security-policy'), 'frame-ancestors *', `/${path}: the frame-ancestors header`);
    }
  });

  test('the playground runs under it: a preset, an edit in the worker, an export, details', async () => {
    const page = await openPage(browser.context, server.url);
    await openPreset(page, 'retries', cliTrace(presetPath('retries')).events.length);
    // MAPI_E_BUSY: a timer and a second attempt, run by the worker.
    const { text } = withBusy(presetText('seed'));
    const tmp = tempScenario(text);
    const total = cliTrace(tmp.file).events.length;
    tmp.remove();
    await setEditor(page, text);
    await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t, total);
    const { name } = await download(page, () => page.click('[data-testid="export-svg"]'));
    assert.equal(name, 'trace.svg');
    await clickEvent(page, Number(await page.locator('[data-testid="arrow"]').first().getAttribute('data-seq')));
    await page.keyboard.press('?');
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });

  test('the embed runs framed by another origin', async () => {
    const site = await startFiles({
      'index.html': `<!doctype html><title>docs</title><iframe src="${server.url}?embed=1&autoplay=1#preset=retries" width="800" height="500"></iframe>`,
    });
    try {
      const page = await browser.context.newPage();
      await page.goto(site.url);
      const frame = await (await page.$('iframe')).contentFrame();
      await waitReady(frame);
      await frame.waitForFunction(() => window.__spoolscope.step > 3);
      assert.equal(await frame.locator('[data-testid="embed"]').count(), 1);
      assert.deepEqual(await violations(page), []);
      await page.close();
    } finally {
      await site.close();
    }
  });

  test('a book page runs its scripts, its search and its embeds', async () => {
    const book = await browser.context.newPage();
    await book.goto(`${server.url}book/status-recips.html`);
    const frames = book.frames().filter((f) => f !== book.mainFrame());
    assert.ok(frames.length >= 1, 'the chapter embeds a player');
    // The players load lazily: each is brought into view first.
    for (const handle of await book.$$('iframe')) {
      await handle.scrollIntoViewIfNeeded();
      await waitReady(await handle.contentFrame());
    }
    // mdbook's own scripts ran: the theme class and the search (its index is a script file).
    assert.ok(await book.evaluate(() => document.documentElement.classList.contains('js')));
    await book.keyboard.press('s');
    await book.locator('#mdbook-searchbar').pressSequentially('StatusRecips');
    await book.waitForSelector('#mdbook-searchresults li', { timeout: 10_000 });
    assert.deepEqual(await violations(book), []);
    await book.close();
  });

  test('the policy is enforced: an injected inline script is refused and reported', async () => {
    const page = await openPage(browser.context, server.url);
    const outcome = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = 1';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return { ran: window.__ran ?? null, heard: window.__csp };
    });
    assert.equal(outcome.ran, null, 'the inline script did not run');
    assert.ok(outcome.heard.some((v) => v.startsWith('script-src-elem blocked inline')), `reported: ${outcome.heard}`);
    await page.close();
  });
});
