// Shared helpers for the browser tests (web/tests/*.test.mjs) and the browser benchmark
// (web/bench/bench.mjs): a static server for the release bundle, Debian's Chromium through
// playwright-core, the `spoolscope` CLI as the oracle, and readers for the page's DOM contract
// (the data-testid list in web/tests/README.md).
//
// Environment (all optional):
//   SPOOLSCOPE_DIST     folder to serve (default: dist/, the output of `trunk build --release`)
//   SPOOLSCOPE_PRESETS  folder of preset scenarios (default: web/presets/)
//   SPOOLSCOPE_CLI      the CLI binary (default: target/release/spoolscope)
//   SPOOLSCOPE_SHOTS    where the preset screenshots go (default: web/tests/screenshots/)

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = resolve(ROOT, process.env.SPOOLSCOPE_DIST || 'dist');
export const PRESETS_DIR = resolve(ROOT, process.env.SPOOLSCOPE_PRESETS || 'web/presets');
export const CLI = resolve(ROOT, process.env.SPOOLSCOPE_CLI || 'target/release/spoolscope');
export const SHOTS = resolve(ROOT, process.env.SPOOLSCOPE_SHOTS || 'web/tests/screenshots');
export const CHROMIUM = process.env.SPOOLSCOPE_CHROMIUM || '/usr/bin/chromium';

/** Time allowed for the page to become ready after a navigation or a preset change. */
export const READY_TIMEOUT = 30_000;

// ---------------------------------------------------------------------------------------------
// Static server

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.toml': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `dir` on a free port of 127.0.0.1 (plain files, like any static server; no SPA
 * fallback, no compression). Resolves to { url, port, close, requests }.
 */
/** The `/*` block of `<root>/_headers` (Netlify / Cloudflare Pages format), lower-cased names. */
export function hostHeaders(root) {
  const file = join(root, '_headers');
  if (!existsSync(file)) return {};
  const out = {};
  let all = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      all = line.trim() === '/*';
      continue;
    }
    const m = /^\s+([^:]+):\s*(.*)$/.exec(line);
    if (all && m) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

export async function startServer(dir = DIST) {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: build the page first (trunk build --release)`);
  }
  const root = resolve(dir);
  const requests = [];
  // The headers a static host sends from dist/_headers (scripts/csp.py: the frame-ancestors).
  const headers = hostHeaders(root);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.push(path);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] || 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-cache',
      ...headers,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Browser

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium, headless, with a fresh user-data-dir (removed on close).
 * Resolves to { context, errors, close }; `context` is a Playwright BrowserContext.
 * `guard` (default true) aborts and records every request that leaves 127.0.0.1; the benchmark
 * turns it off because routing every request through Playwright costs time.
 */
export async function launch({ viewport = { width: 1440, height: 900 }, guard = true } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'spoolscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  if (guard) {
    // No CDN, no network at run time: anything not from the page's own server is a bug.
    await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/]|data:|blob:|about:)/, (route) => {
      errors.push(`external request blocked: ${route.request().url()}`);
      return route.abort();
    });
  }
  return {
    context,
    errors,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the page and waits until `window.__spoolscope.ready`. Collects console errors. */
export async function openPage(context, url) {
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.goto(url);
  await waitReady(page);
  return page;
}

/** A suite's fixture: the release build on a static server, a browser, the page open on it. */
export async function openSuite() {
  const server = await startServer();
  const browser = await launch();
  const page = await openPage(browser.context, server.url);
  return { server, browser, page };
}

/** Closes what `openSuite` opened (either may be missing when its start failed). */
export async function closeSuite({ server, browser } = {}) {
  await browser?.close();
  await server?.close();
}

export async function waitReady(page, timeout = READY_TIMEOUT) {
  await page.waitForFunction(() => window.__spoolscope && window.__spoolscope.ready === true, null, {
    timeout,
  });
}

/** `window.__spoolscope` plus the player's texts. */
export async function state(page) {
  return page.evaluate(() => {
    const s = window.__spoolscope || {};
    const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() ?? null;
    const scrub = document.querySelector('[data-testid="scrubber"]');
    return {
      ready: s.ready,
      step: s.step,
      total: s.total,
      preset: s.preset,
      title: s.title,
      stepText: text('step'),
      time: text('time'),
      scrubValue: scrub ? Number(scrub.value) : null,
      scrubMax: scrub ? Number(scrub.max) : null,
      playing: document.querySelector('[data-testid="play"]')?.getAttribute('aria-pressed') === 'true',
    };
  });
}

/** Waits until the page is at step `n` (window.__spoolscope.step and the `n / N` text). */
export async function waitStep(page, n, timeout = 10_000) {
  await page.waitForFunction(
    (n) => {
      const s = window.__spoolscope;
      const t = document.querySelector('[data-testid="step"]')?.textContent ?? '';
      const m = /(\d+)\s*\/\s*(\d+)/.exec(t);
      return s && s.step === n && m && Number(m[1]) === n;
    },
    n,
    { timeout },
  );
}

/** Clicks a preset button and waits for its run (title and event count from the CLI). */
export async function openPreset(page, slug, expectedTotal) {
  await page.click(`[data-testid="preset-${slug}"]`);
  await page.waitForFunction(
    ({ slug, total }) => {
      const s = window.__spoolscope;
      return s && s.ready === true && s.preset === slug && (total == null || s.total === total);
    },
    { slug, total: expectedTotal },
    { timeout: READY_TIMEOUT },
  );
}

/** Moves the scrubber to step `n` the way a user drags it (input + change events). */
export async function scrubTo(page, n) {
  await page.evaluate((n) => {
    const el = document.querySelector('[data-testid="scrubber"]');
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setter.call(el, String(n));
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, n);
  await waitStep(page, n);
}

/** Takes the keyboard focus away from the editor so that shortcuts reach the page. */
export async function focusPage(page) {
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
}

/** Recipient rows currently in the DOM: [{ message, index, cols: { name, address, … } }]. */
export async function readRecipients(page) {
  return page.$$eval('[data-testid="recipient"]', (rows) =>
    rows.map((tr) => {
      const cols = {};
      for (const td of tr.querySelectorAll('td[data-col]')) cols[td.dataset.col] = td.textContent.trim();
      return { message: tr.dataset.message, index: Number(tr.dataset.index), cols };
    }),
  );
}

/** Diagram arrows currently in the DOM. */
export async function readArrows(page) {
  return page.$$eval('[data-testid="diagram"] [data-testid="arrow"]', (gs) =>
    gs.map((g) => ({
      seq: Number(g.dataset.seq),
      kind: g.dataset.kind ?? null,
      method: g.dataset.method ?? null,
      from: g.dataset.from ?? null,
      to: g.dataset.to ?? null,
      current: g.classList.contains('current'),
    })),
  );
}

/** Transport status rows: [{ transport, status }]. */
export async function readStatusRows(page) {
  return page.$$eval('[data-testid="status-row"]', (rows) =>
    rows.map((tr) => ({
      transport: tr.dataset.transport,
      status: tr.querySelector('td[data-col="status"]')?.textContent.trim() ?? '',
    })),
  );
}

export async function readWarnings(page) {
  return page.$$eval('[data-testid="warnings"] a[data-seq]', (as) => as.map((a) => Number(a.dataset.seq)));
}

/** Replaces the editor's text as typing would (an `input` event), without waiting for a run. */
export async function setEditor(page, text) {
  await page.locator('[data-testid="editor"]').fill(text);
}

export async function editorText(page) {
  return page.locator('[data-testid="editor"]').inputValue();
}

// ---------------------------------------------------------------------------------------------
// Presets and the CLI oracle

/** Preset slugs: file stems of web/presets/*.toml, sorted. */
export function presetSlugs() {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.toml'))
    .map((f) => basename(f, '.toml'))
    .sort();
}

export function presetPath(slug) {
  return join(PRESETS_DIR, `${slug}.toml`);
}

export function presetText(slug) {
  return readFileSync(presetPath(slug), 'utf8');
}

/** The slug the page opens with: `seed` if it exists, else the first. */
export function defaultSlug() {
  const slugs = presetSlugs();
  return slugs.includes('seed') ? 'seed' : slugs[0];
}

function requireCli() {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: cargo build --release -p spoolscope-cli`);
  }
}

const traceCache = new Map();

/** `spoolscope run FILE --format json`, parsed (cached per file). */
export function cliTrace(file) {
  requireCli();
  if (!traceCache.has(file)) {
    const out = execFileSync(CLI, ['run', file, '--format', 'json'], { maxBuffer: 1 << 30, encoding: 'utf8' });
    traceCache.set(file, JSON.parse(out));
  }
  return traceCache.get(file);
}

const ERROR_LINE = /^(.*?):(\d+):(\d+): (.*)$/;

/**
 * Runs `spoolscope <cmd>` on a scenario text (written to a temporary `scenario.toml`).
 * Resolves to { ok: true, trace } (run) / { ok: true } (check), or
 * { ok: false, line, col, message } from the `FILE:LINE:COL: message` line.
 */
export function cliOnText(cmd, text) {
  requireCli();
  const dir = mkdtempSync(join(tmpdir(), 'spoolscope-cli-'));
  try {
    const file = join(dir, 'scenario.toml');
    writeFileSync(file, text);
    const args = cmd === 'run' ? ['run', file, '--format', 'json'] : ['check', file];
    const r = spawnSync(CLI, args, { maxBuffer: 1 << 30, encoding: 'utf8' });
    if (r.status === 0) return cmd === 'run' ? { ok: true, trace: JSON.parse(r.stdout) } : { ok: true };
    const m = ERROR_LINE.exec(r.stderr.trim().split('\n')[0]);
    if (!m) throw new Error(`unexpected CLI output (exit ${r.status}): ${r.stderr}`);
    return { ok: false, line: Number(m[2]), col: Number(m[3]), message: m[4] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** NDR reason / diagnostic names, read from the contract's constant tables. */
let names;
export function codeNames() {
  if (!names) {
    const src = readFileSync(join(ROOT, 'crates/contract/src/consts.rs'), 'utf8');
    const table = (name) => {
      const start = src.indexOf(`pub const ${name}:`);
      const body = src.slice(start, src.indexOf('];', start));
      const map = new Map();
      for (const m of body.matchAll(/\("([A-Z0-9_]+)",\s*(-?\d+)\)/g)) map.set(Number(m[2]), m[1]);
      return map;
    };
    names = { reasons: table('REASONS'), diags: table('DIAGS') };
  }
  return names;
}

export const reasonName = (v) => (v == null ? null : codeNames().reasons.get(v) ?? String(v));
export const diagName = (v) => (v == null ? null : codeNames().diags.get(v) ?? String(v));

/** An empty cell: '', '-', '—', '–'. */
export const isBlank = (s) => s == null || /^[\s\-—–]*$/.test(s);

/** What the page must show as the `time` text at step n: the virtual time of event n. */
export function timeAt(trace, n) {
  const t = n === 0 ? 0 : trace.events[n - 1].t;
  return `${t.toFixed(3)}s`;
}

/**
 * The recipient facts the trace itself determines at step n (after event seq n), keyed
 * `message/index`:
 *  - `responsibility`: PR_RESPONSIBILITY from its last `property` event (FALSE before any);
 *  - `report`: the report kind once the report exists (`reports[].seq` <= n); null before the
 *    transport or spooler first names the recipient in a StatusRecips entry or report note;
 *    `undefined` in between (either is right: the page may show a claimed report early).
 */
export function recipientsAt(trace, n) {
  const out = new Map();
  for (const r of trace.recipients) out.set(`${r.message}/${r.index}`, { responsibility: false, report: null });
  const firstMention = new Map();
  for (const e of trace.events) {
    if (e.seq > n) break;
    if (e.kind === 'property' && e.property === 'PR_RESPONSIBILITY' && e.message != null) {
      const row = out.get(`${e.message}/${e.recipient}`);
      if (row) row.responsibility = e.value === true;
    }
    for (const entry of e.entries ?? []) {
      const key = `${e.message}/${entry.recipient}`;
      if (!firstMention.has(key)) firstMention.set(key, e.seq);
    }
  }
  for (const key of firstMention.keys()) if (out.has(key)) out.get(key).report = undefined;
  for (const rep of trace.reports) {
    if (rep.seq > n) continue;
    for (const i of rep.recipients) {
      const row = out.get(`${rep.message}/${i}`);
      if (row) row.report = rep.kind;
    }
  }
  return out;
}

/** Compares the recipient rows in the DOM with the CLI's final recipient table. */
export function assertFinalRecipients(rows, trace, { all }) {
  const byKey = new Map(trace.recipients.map((r) => [`${r.message}/${r.index}`, r]));
  assert.ok(rows.length > 0, 'no recipient rows');
  if (all) assert.equal(rows.length, trace.recipients.length, 'one row per recipient');
  const blankOr = (v) => (v == null ? '' : String(v));
  for (const row of rows) {
    const key = `${row.message}/${row.index}`;
    const want = byKey.get(key);
    assert.ok(want, `row ${key} is not in the CLI's recipient table`);
    const c = row.cols;
    const where = `recipient ${key}`;
    assert.equal(c.name, want.name, `${where}: name`);
    assert.equal(c.address, want.address, `${where}: address`);
    assert.equal(c.type, want.type, `${where}: type`);
    assert.equal(c.status, want.status, `${where}: status`);
    assert.equal(c.responsibility, want.responsibility ? 'TRUE' : 'FALSE', `${where}: PR_RESPONSIBILITY`);
    for (const [col, value] of [
      ['report', want.report],
      ['reason', reasonName(want.ndr_reason)],
      ['diag', diagName(want.ndr_diag)],
      ['text', want.report_text],
    ]) {
      if (value == null) assert.ok(isBlank(c[col]), `${where}: ${col} should be empty, is ${JSON.stringify(c[col])}`);
      else assert.equal(c[col], blankOr(value), `${where}: ${col}`);
    }
    assert.ok(!isBlank(c.why), `${where}: the "why" line is empty`);
  }
}

// ---------------------------------------------------------------------------------------------
// Edits the tests make to a preset's script (also used to prepare a stand-in page)

/** Lines (1-based) of the first transport script: [first, last] inside the ''' quotes. */
export function scriptLines(text) {
  const lines = text.split('\n');
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*script\s*=\s*'''/.test(lines[i])) {
      first = i + 2;
      continue;
    }
    if (first > 0 && lines[i].includes("'''")) return [first, i];
  }
  throw new Error('no script in the scenario');
}

/** The first line of the first script that is exactly `S_OK` (the submit_message result). */
export function sOkLine(text) {
  const lines = text.split('\n');
  const [a, b] = scriptLines(text);
  for (let i = a; i <= b; i++) if (lines[i - 1].trim() === 'S_OK') return i;
  throw new Error('no `S_OK` line in the first script');
}

/** A Rhai syntax error on the `S_OK` line: `S_OK +* 1`. */
export function withSyntaxError(text) {
  const line = sOkLine(text);
  const lines = text.split('\n');
  lines[line - 1] = lines[line - 1].replace('S_OK', 'S_OK +* 1');
  return { text: lines.join('\n'), line };
}

/** submit_message's `S_OK` line answers `result` instead (an HRESULT name). */
export function withResult(text, result) {
  const line = sOkLine(text);
  const lines = text.split('\n');
  lines[line - 1] = lines[line - 1].replace('S_OK', result);
  return { text: lines.join('\n'), line };
}

/** The transport answers MAPI_E_BUSY instead of S_OK: the spooler retries on a timer. */
export const withBusy = (text) => withResult(text, 'MAPI_E_BUSY');

/** submit_message never returns: the engine's operation limit must stop it. */
export function withEndlessLoop(text) {
  const i = text.indexOf('fn submit_message(');
  if (i < 0) throw new Error('no submit_message');
  const open = text.indexOf('{', i);
  return { text: `${text.slice(0, open + 1)}\n    loop { }\n${text.slice(open + 1)}` };
}

// ---------------------------------------------------------------------------------------------
// Links, embeds and exports (docs/spec/links-and-embeds.md, "links §N")

/** The bytes `spoolscope ARGS…` prints on stdout (throws on a non-zero exit). */
export function cliBytes(args) {
  requireCli();
  return execFileSync(CLI, args, { maxBuffer: 1 << 30 });
}

/** `spoolscope run FILE --format FORMAT`, as bytes (a Buffer). */
export function cliRun(file, format) {
  return cliBytes(['run', file, '--format', format]);
}

/** The trace hash of links §3: the first 12 hex digits of the SHA-256 of the trace JSON bytes. */
export function traceHash(json) {
  return createHash('sha256').update(json).digest('hex').slice(0, 12);
}

/** The CLI's trace hash of a scenario file. */
export function cliHash(file) {
  return traceHash(cliRun(file, 'json'));
}

/**
 * `spoolscope link FILE [--embed] [--base BASE] [--view VIEW]`: a format 2 link (links §6).
 * Without `base` it is the fragment alone (starting with `#`).
 */
export function cliLink(file, { base = '', view = '', embed = false } = {}) {
  const args = ['link', file, '--base', base];
  if (view) args.push('--view', view);
  if (embed) args.push('--embed');
  return cliBytes(args).toString('utf8').trim();
}

/** Writes `text` to a temporary scenario file; returns { file, remove }. */
export function tempScenario(text, name = 'scenario.toml') {
  const dir = mkdtempSync(join(tmpdir(), 'spoolscope-scenario-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A link's fragment (what follows `#`, without it) as an ordered list of [key, value]. */
export function fragmentParts(link) {
  const i = link.indexOf('#');
  const fragment = i >= 0 ? link.slice(i + 1) : link;
  return fragment
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const j = p.indexOf('=');
      return j < 0 ? [p, ''] : [p.slice(0, j), p.slice(j + 1)];
    });
}

/** The fragment's parts as an object (a key given twice keeps the last: check with fragmentParts). */
export function fragmentOf(link) {
  return Object.fromEntries(fragmentParts(link));
}

/** Joins [key, value] parts into a fragment without `#`. */
export function joinParts(parts) {
  return parts.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Decodes a compressed link part (links §2: raw DEFLATE, base64url) to its UTF-8 text. */
export function inflatePart(value) {
  return inflateRawSync(Buffer.from(value, 'base64url')).toString('utf8');
}

/** Compresses a text into a link part (links §2). */
export function deflatePart(text) {
  return deflateRawSync(Buffer.from(text, 'utf8')).toString('base64url');
}

/** The page's one-line notice (`.notice`), or null when there is none. */
export async function noticeText(page) {
  const n = page.locator('.notice');
  return (await n.count()) ? (await n.first().textContent()).trim() : null;
}

/** `localStorage`'s saved scenario text (the page's key), or null. */
export async function savedText(page) {
  return page.evaluate(() => localStorage.getItem('spoolscope.text.v1'));
}

/** Waits until the details panel is open on event `seq` with its content loaded. */
export async function waitDetails(page, seq, timeout = 10_000) {
  await page.waitForFunction(
    (seq) => {
      const d = document.querySelector('[data-testid="details"]');
      return d && d.dataset.seq === String(seq) && !d.querySelector('.muted') && d.querySelector('.title');
    },
    seq,
    { timeout },
  );
}

/** Clicks the diagram's element of event `seq` (scrolled into view first; see steps.test.mjs). */
export async function clickEvent(page, seq) {
  const arrow = page.locator(`[data-testid="diagram"] [data-testid="arrow"][data-seq="${seq}"]`);
  await arrow.evaluate((g) => g.scrollIntoView({ block: 'center', inline: 'center' }));
  await arrow.dispatchEvent('click');
  await waitDetails(page, seq);
}

/** Which of the panels of links §1 (`panels=`) are in the DOM: { diagram: true, … }. */
export async function panelsShown(page) {
  return page.evaluate(() => {
    const has = (sel) => document.querySelector(sel) !== null;
    return {
      diagram: has('[data-testid="diagram"]'),
      recipients: has('[data-testid="recipients"]'),
      queue: has('[data-testid="queue"]'),
      status: has('[data-testid="status"]'),
      warnings: has('[data-testid="warnings"]'),
      editor: has('[data-testid="editor"]'),
    };
  });
}

export const PANELS = ['diagram', 'recipients', 'queue', 'status', 'warnings', 'editor'];

/**
 * A static server of a temporary folder holding `files` ({ name: text }; an `index.html` is
 * added when missing). Resolves to startServer's object; `close` also removes the folder.
 */
export async function startFiles(files) {
  const dir = mkdtempSync(join(tmpdir(), 'spoolscope-host-'));
  const all = { 'index.html': '<!doctype html><title>host</title>', ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  const server = await startServer(dir);
  const close = server.close;
  return {
    ...server,
    dir,
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example host page of the embed API (web/embed-host-example.html), as text. */
export function hostExample() {
  return readFileSync(join(ROOT, 'web/embed-host-example.html'), 'utf8');
}

// Chromium drops an anchor download now and then when a page starts them faster than a person
// clicks (measured: one in eleven lost at one every ~30 ms, none at one every 60 ms; no event,
// no file). The harness starts one at most every DOWNLOAD_GAP_MS, as no user can outpace.
const DOWNLOAD_GAP_MS = 150;
let lastDownload = 0;

/** Saves a download the page starts with `click()`: { name, bytes }. */
export async function download(page, click) {
  const wait = lastDownload + DOWNLOAD_GAP_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  lastDownload = Date.now();
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}
