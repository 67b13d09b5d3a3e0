// Links (docs/spec/links-and-embeds.md, "links §N"): the Share button's format 2 link
// (`#v=2&s=…&h=…&t=…&step=N&sel=M`) opens the scenario elsewhere at that step with that call
// selected; a CLI-made link and an old format 1 link (`#s=…`) open too; every bad link of
// tests/links/bad opens the saved scenario with a notice naming its reason and leaves the saved
// scenario intact; a link whose trace hash differs from this engine's run shows the divergence
// notice with the first differing step, old beside new.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ROOT,
  clickEvent,
  cliHash,
  cliLink,
  cliOnText,
  cliTrace,
  defaultSlug,
  deflatePart,
  download,
  editorText,
  fragmentOf,
  fragmentParts,
  inflatePart,
  joinParts,
  launch,
  noticeText,
  openPage,
  openPreset,
  presetPath,
  presetText,
  savedText,
  scrubTo,
  setEditor,
  startServer,
  tempScenario,
  waitDetails,
  waitReady,
  waitStep,
} from './harness.mjs';

const BAD_DIR = join(ROOT, 'tests/links/bad');
const SHARED = /Opened a shared scenario/;

/** tests/links/bad/*.link: { name, expect, fragment } (the `// expect:` line, the link's `#…`). */
function badLinks() {
  return readdirSync(BAD_DIR)
    .filter((f) => f.endsWith('.link'))
    .sort()
    .map((name) => {
      const lines = readFileSync(join(BAD_DIR, name), 'utf8').split('\n');
      const expect = lines.find((l) => l.startsWith('// expect:'))?.slice('// expect:'.length).trim();
      const url = lines.find((l) => /^https?:\/\//.test(l));
      assert.ok(expect && url, `${name}: an \`// expect:\` line and a link`);
      return { name, expect, fragment: url.slice(url.indexOf('#')) };
    });
}

/** The seed scenario with one return code changed: the cancelled SubmitMessage fails instead. */
function changedReturn() {
  const seed = presetText('seed');
  const text = seed.replace('return MAPI_E_USER_CANCEL;', 'return MAPI_E_CALL_FAILED;');
  assert.notEqual(text, seed);
  return text;
}

/** True when the divergence notice is on the page. */
const hasDivergence = (page) => page.locator('[data-testid="divergence"]').count().then((n) => n > 0);

/**
 * Waits until the page has checked the link's recorded hash. The check asks the engine for
 * the run's record once the link's step is on screen; the engine answers exports in the order
 * asked, so a JSON export asked for after that step is on screen comes back after the check.
 */
async function recordChecked(page) {
  const { name } = await download(page, () => page.click('[data-testid="export-json"]'));
  assert.equal(name, 'trace.json');
}

describe('links', () => {
  let server;
  let sender;
  let receiver;
  /** The receiver's own saved scenario (an edit, so it is in its localStorage). */
  const mine = `${presetText('no-transport')}\n# the receiver's own scenario\n`;

  before(async () => {
    server = await startServer();
    sender = await launch();
    receiver = await launch();
    await sender.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await openPage(receiver.context, server.url);
    await setEditor(page, mine);
    await page.waitForFunction((t) => localStorage.getItem('spoolscope.text.v1') === t, mine);
    await page.close();
  });

  after(async () => {
    await sender?.close();
    await receiver?.close();
    await server?.close();
  });

  test('Share makes a format 2 link with the step, the selection, the hash and the trace', async () => {
    const slug = 'ndr-statusrecips';
    const trace = cliTrace(presetPath(slug));
    const total = trace.events.length;
    const sel = trace.reports[0].seq; // a report's note: its details carry a DSN
    const step = Math.max(1, Math.floor(total / 2));
    assert.notEqual(step, sel);

    const page = await openPage(sender.context, server.url);
    await openPreset(page, slug, total);
    await scrubTo(page, sel);
    await clickEvent(page, sel);
    await scrubTo(page, step);
    assert.equal(await page.locator('[data-testid="details"]').getAttribute('data-seq'), String(sel));

    await page.click('[data-testid="share"]');
    await page.waitForFunction(() => location.hash.startsWith('#v=2&'));
    const link = await page.evaluate(() => location.href);
    assert.match(await noticeText(page), /Share link copied to the clipboard/);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

    // `#v=2&s=…&h=…&t=…&step=N&sel=M`: every value in the link alphabet, each key once.
    const parts = fragmentParts(link);
    assert.deepEqual(parts.map(([k]) => k), ['v', 's', 'h', 't', 'step', 'sel']);
    for (const [k, v] of parts) assert.match(v, /^[A-Za-z0-9_,.-]+$/, `${k}: link characters only`);
    const f = fragmentOf(link);
    assert.equal(f.v, '2');
    assert.equal(f.step, String(step));
    assert.equal(f.sel, String(sel));
    assert.equal(f.h, cliHash(presetPath(slug)), 'h is the CLI trace hash');
    assert.equal(inflatePart(f.s), presetText(slug), 's is the scenario text');
    const cli = fragmentOf(cliLink(presetPath(slug)));
    assert.equal(f.h, cli.h);
    assert.equal(inflatePart(f.t), inflatePart(cli.t), 't holds the CLI recorded trace');
    assert.equal(link.split('#')[0], server.url);
    await page.close();

    // Opened in another browser: that scenario, that step, that selection, no divergence; the
    // receiver's own saved scenario is untouched.
    const other = await openPage(receiver.context, link);
    await waitStep(other, step);
    await waitDetails(other, sel);
    assert.equal(await editorText(other), presetText(slug));
    assert.equal((await other.evaluate(() => window.__spoolscope.total)), total);
    assert.match(await noticeText(other), SHARED);
    assert.match(await other.locator('[data-testid="details"] [data-testid="dsn"]').first().textContent(), /multipart\/report/);
    // The check of the recorded hash has run and agrees.
    await recordChecked(other);
    assert.equal(await hasDivergence(other), false);
    assert.equal(await savedText(other), mine);
    await other.close();
  });

  test("the CLI's link (miniz DEFLATE) opens the same way, with its speed", async () => {
    const slug = 'retries';
    const trace = cliTrace(presetPath(slug));
    const seq = trace.events.find((e) => e.kind === 'return').seq;
    const link = cliLink(presetPath(slug), { base: server.url, view: `step=3&sel=${seq}&speed=60` });
    const page = await openPage(receiver.context, link);
    await waitStep(page, 3);
    await waitDetails(page, seq);
    assert.equal(await editorText(page), presetText(slug));
    assert.equal(await page.locator('[data-testid="speed"] option:checked').textContent(), '60 steps/s');
    await recordChecked(page);
    assert.equal(await hasDivergence(page), false);
    assert.equal(await savedText(page), mine);
    await page.close();
  });

  test('an old format 1 link (#s=…) opens at the end of its run with nothing selected', async () => {
    const text = changedReturn();
    const cli = cliOnText('run', text);
    assert.ok(cli.ok);
    const page = await openPage(receiver.context, `${server.url}#s=${deflatePart(text)}`);
    const total = cli.trace.events.length;
    await waitStep(page, total);
    assert.equal(await editorText(page), text);
    assert.equal(await page.evaluate(() => window.__spoolscope.total), total);
    assert.equal(await page.locator('[data-testid="details"]').count(), 0, 'nothing selected');
    assert.match(await noticeText(page), SHARED);
    assert.equal(await hasDivergence(page), false, 'format 1 records no trace: nothing to check');
    assert.equal(await savedText(page), mine);
    await page.close();
  });

  test('a link whose text does not run says what is wrong at its line, keeps the text and leaves the address', async () => {
    // A script error in a scenario that is otherwise fine: nothing runs.
    const text = presetText(defaultSlug()).replace('fn submit_message(msg) {', 'fn submit_message(msg) {\n    let x = ;');
    const cli = cliOnText('check', text);
    assert.equal(cli.ok, false, 'the CLI refuses it too');
    // Not openPage: a page with no run never becomes ready.
    const page = await receiver.context.newPage();
    await page.goto(`${server.url}#v=2&s=${deflatePart(text)}`);
    await page.locator('[data-testid="editor-error"]').waitFor({ state: 'visible', timeout: 15_000 });
    const notice = await noticeText(page);
    assert.ok(
      notice.startsWith(`This shared scenario does not run: line ${cli.line}, column ${cli.col}: ${cli.message}`),
      notice,
    );
    assert.match(notice, /there is no run to show, and the scenario saved in this browser is kept\.$/);
    assert.doesNotMatch(notice, /Opened a shared scenario/);
    assert.equal(await editorText(page), text, 'the text is in the editor');
    assert.equal(await page.locator('[data-testid="editor-error"]').getAttribute('data-line'), String(cli.line));
    assert.equal((await page.locator('.editor-status').textContent()).trim(), 'error: nothing has run yet');
    assert.equal((await page.locator('.empty-diagram').textContent()).trim(), 'No run to show yet.');
    assert.equal(await page.evaluate(() => location.hash), '', 'the link left the address');
    assert.equal(await savedText(page), mine, 'the saved scenario is kept');
    // A reload opens the saved scenario, without the notice.
    await page.reload();
    await waitReady(page);
    assert.equal(await editorText(page), mine);
    assert.equal(await noticeText(page), null);
    await page.close();
  });

  const tooLong = { name: 'too long (synthesised)', expect: 'links are at most 262144', fragment: `#v=2&s=${'A'.repeat(262_200)}` };
  for (const bad of [...badLinks(), tooLong]) {
    test(`bad link ${bad.name}: the saved scenario with a notice naming "${bad.expect}"`, async () => {
      const dialogs = [];
      receiver.context.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      // Opened from the address.
      const page = await openPage(receiver.context, `${server.url}${bad.fragment}`);
      const notice = await noticeText(page);
      assert.ok(notice?.startsWith('This link cannot be opened: '), notice);
      assert.ok(notice.includes(bad.expect), `${JSON.stringify(notice)} names ${JSON.stringify(bad.expect)}`);
      assert.match(notice, /Your saved scenario is shown instead\.$/);
      assert.equal(await editorText(page), mine, 'the saved scenario is shown');
      assert.equal(await savedText(page), mine, 'the saved scenario is kept');
      assert.equal(await hasDivergence(page), false);
      // Nothing of the link is markup.
      assert.equal(await page.locator('img, iframe, [onerror]').count(), 0);

      // Pasted into the address bar of the open page (a hashchange): the same reason, the
      // scenario on screen stays.
      // (The address holds the same link now, and setting the same hash fires no hashchange:
      // first an address that is no link, which the page leaves alone.)
      await page.evaluate(() => {
        location.hash = 'elsewhere';
      });
      await page.waitForFunction(() => location.hash === '#elsewhere');
      await page.evaluate((h) => {
        location.hash = h;
      }, bad.fragment);
      await page.waitForFunction(() => document.querySelector('.notice')?.textContent.startsWith('This share link'));
      const again = await noticeText(page);
      assert.ok(again.includes(bad.expect), again);
      assert.match(again, /The scenario on screen stays\.$/);
      await waitReady(page);
      assert.equal(await editorText(page), mine);
      assert.equal(await savedText(page), mine);
      assert.deepEqual(dialogs, [], 'no dialog opened');
      await page.close();
    });
  }

  describe('a link recorded by another engine', () => {
    // Scenario A (seed) and B: A whose cancelled submit_message returns MAPI_E_CALL_FAILED
    // instead of MAPI_E_USER_CANCEL. A's link
    // with B's text is what a link made before an engine change looks like after it: the
    // hash and recorded trace of A, a replay that runs B.
    let a;
    let b;
    let forged;
    let first; // { index, old, new } of the recorded lines

    before(() => {
      b = tempScenario(changedReturn(), 'b.toml');
      a = { file: presetPath('seed') };
      const linkA = fragmentParts(cliLink(a.file));
      const linkB = fragmentOf(cliLink(b.file));
      forged = joinParts(linkA.map(([k, v]) => [k, k === 's' ? linkB.s : v]));
      const old = inflatePart(fragmentOf(forged).t).split('\n');
      const now = inflatePart(linkB.t).split('\n');
      const index = old.findIndex((line, i) => line !== now[i]);
      assert.ok(index >= 0);
      first = { index, old: old[index], now: now[index] };
    });

    after(() => b?.remove());

    test('shows the divergence notice with both hashes and the first differing step', async () => {
      const hashA = cliHash(a.file);
      const hashB = cliHash(b.file);
      assert.notEqual(hashA, hashB);
      const trace = cliTrace(b.file);
      const page = await openPage(receiver.context, `${server.url}#${forged}`);
      const notice = page.locator('[data-testid="divergence"]');
      await notice.waitFor({ state: 'visible' });
      const text = await notice.textContent();
      assert.ok(text.includes(`Trace hash recorded ${hashA}, now ${hashB}`), text);
      // The first differing line is an event line (the busy answer): a step, old beside new.
      assert.ok(first.index < trace.events.length, 'the runs part at an event');
      assert.equal(first.index + 1, trace.events.find((e) => e.result === 'MAPI_E_CALL_FAILED').seq);
      const step = first.index + 1;
      assert.ok(text.includes(`The first difference is at step ${step}.`), text);
      assert.equal((await page.locator('[data-testid="divergence-old"]').textContent()).trim(), first.old);
      assert.equal((await page.locator('[data-testid="divergence-new"]').textContent()).trim(), first.now);
      assert.match(first.old, /MAPI_E_USER_CANCEL/);
      assert.match(first.now, /MAPI_E_CALL_FAILED/);
      // B runs (the replay is this engine's), at the end of its run.
      assert.equal(await editorText(page), inflatePart(fragmentOf(forged).s));
      await waitStep(page, trace.events.length);
      await page.click('[data-testid="divergence-jump"]');
      await waitStep(page, step);
      assert.equal(await savedText(page), mine);
      // An edit: the text is no longer the link's; the notice goes.
      await setEditor(page, `${await editorText(page)}\n# edited`);
      await notice.waitFor({ state: 'detached' });
      await page.close();
    });

    test('without the recorded trace it can only say that the trace differs', async () => {
      const noTrace = joinParts(fragmentParts(forged).filter(([k]) => k !== 't'));
      const page = await openPage(receiver.context, `${server.url}#${noTrace}`);
      const notice = page.locator('[data-testid="divergence"]');
      await notice.waitFor({ state: 'visible' });
      assert.match(await notice.textContent(), /The link records no trace/);
      assert.equal(await page.locator('[data-testid="divergence-jump"]').count(), 0);
      await page.close();
    });

    test("a link whose hash is this engine's shows no divergence", async () => {
      const page = await openPage(receiver.context, `${server.url}${cliLink(b.file)}`);
      await waitStep(page, cliTrace(b.file).events.length);
      await recordChecked(page);
      assert.equal(await hasDivergence(page), false);
      await page.close();
    });
  });
});
