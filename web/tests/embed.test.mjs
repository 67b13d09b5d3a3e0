// The embed (links §5): `?embed=1#<link>` shows the compact player with the panels of
// `panels=`, locked to `range=`, playing with `autoplay=1`, in `theme=`, with "Open in
// Spoolscope" to the full playground at the step shown; the full page's "Copy embed snippet"
// writes the iframe of links §5, which works pasted into another site. The postMessage API is
// driven from host pages on other origins (web/embed-host-example.html served by second and
// third static servers): ready with the CLI's trace hash, seek with the CLI's trace events,
// load (text and link), play and pause, an error event for every bad command, and with
// `origin=` in the embed's address, commands from any other origin or window are ignored.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  PANELS,
  SHOTS,
  clickEvent,
  cliHash,
  cliLink,
  cliOnText,
  cliTrace,
  editorText,
  focusPage,
  fragmentOf,
  fragmentParts,
  hostExample,
  inflatePart,
  launch,
  openPage,
  panelsShown,
  presetPath,
  presetText,
  scrubTo,
  startFiles,
  startServer,
  tempScenario,
  waitDetails,
  waitReady,
  waitStep,
  withSyntaxError,
} from './harness.mjs';

const SEED = presetPath('seed');

/** Opens `url` in an 800×500 page (the embed's size) and waits until it is ready. */
async function openEmbed(context, url) {
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.setViewportSize({ width: 800, height: 500 });
  await page.goto(url);
  await waitReady(page);
  return page;
}

const stepOf = (page) => page.evaluate(() => window.__spoolscope.step);
const playing = (page) => page.evaluate(() => window.__spoolscope.playing);

function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: join(SHOTS, name) });
}

describe('embed', () => {
  let server;
  let browser;
  const trace = cliTrace(SEED);
  const total = trace.events.length;
  /** The seed's embed address with `view` options (links §1). */
  const embedUrl = (view = '') => cliLink(SEED, { base: server.url, embed: true, view });

  before(async () => {
    server = await startServer();
    browser = await launch();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('?embed=1: the compact player, the diagram and the recipients only', async () => {
    const url = embedUrl();
    assert.ok(url.startsWith(`${server.url}?embed=1#v=2&`), url);
    const page = await openEmbed(browser.context, url);
    await page.locator('[data-testid="embed"]').waitFor();
    assert.deepEqual(await panelsShown(page), { diagram: true, recipients: true, queue: false, status: false, warnings: false, editor: false });
    for (const id of ['presets', 'share', 'snippet', 'export-json']) {
      assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 0, `no ${id} in the embed`);
    }
    for (const id of ['play', 'step-back', 'step-forward', 'jump-start', 'jump-end', 'scrubber', 'open-full']) {
      assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 1, `the embed has ${id}`);
    }
    assert.equal((await page.locator('[data-testid="title"]').textContent()).trim(), trace.title);
    assert.equal(await page.locator('[data-testid="range"]').count(), 0, 'no range, no tag');
    await waitStep(page, total);
    assert.equal(await page.locator('.notice').count(), 0, 'no notice in a good embed');
    assert.equal(await playing(page), false, 'no autoplay unless asked');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 800, 'it fits 800 pixels');
    await shot(page, 'embed-seed.png');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });

  for (const panel of PANELS) {
    test(`panels=${panel} shows that panel only`, async () => {
      const page = await openEmbed(browser.context, embedUrl(`panels=${panel}`));
      const shown = await panelsShown(page);
      assert.deepEqual(shown, Object.fromEntries(PANELS.map((p) => [p, p === panel])));
      if (panel === 'editor') {
        const editor = page.locator('[data-testid="editor"]');
        assert.equal(await editorText(page), presetText('seed'));
        assert.equal(await editor.evaluate((e) => e.readOnly), true, 'read-only');
        await editor.focus();
        await page.keyboard.type('typed');
        assert.equal(await editorText(page), presetText('seed'), 'typing changes nothing');
      }
      await page.close();
    });
  }

  test('panels= with every panel shows them all', async () => {
    const page = await openEmbed(browser.context, embedUrl(`panels=${PANELS.join(',')}`));
    assert.deepEqual(await panelsShown(page), Object.fromEntries(PANELS.map((p) => [p, true])));
    await page.close();
  });

  test('range=5-12 locks the player: step, seek, Home and End stay within', async () => {
    const page = await openEmbed(browser.context, embedUrl('range=5-12'));
    assert.equal((await page.locator('[data-testid="range"]').textContent()).trim(), 'steps 5–12');
    await waitStep(page, 5); // no step given: the range's start
    const click = async (id, n) => {
      await page.click(`[data-testid="${id}"]`);
      await waitStep(page, n);
    };
    // Each move that must stay put is followed by one that would tell: from 12, forward then
    // back gives 11 if forward stayed (12 if it went to 13).
    await click('jump-end', 12);
    await page.click('[data-testid="step-forward"]');
    await click('step-back', 11);
    await click('jump-start', 5);
    await page.click('[data-testid="step-back"]');
    await click('step-forward', 6);
    await focusPage(page);
    await page.keyboard.press('End');
    await waitStep(page, 12);
    await page.keyboard.press('Home');
    await waitStep(page, 5);
    // The scrubber dragged outside the range is clamped.
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="scrubber"]');
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      set.call(el, '30');
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitStep(page, 12);
    // Play from the range's end starts at its start.
    await page.click('[data-testid="play"]');
    await page.waitForFunction(() => window.__spoolscope.playing && window.__spoolscope.step < 12);
    assert.ok((await stepOf(page)) >= 5);
    await page.click('[data-testid="play"]');
    await page.waitForFunction(() => !window.__spoolscope.playing);
    await page.close();
  });

  test('step= inside range= opens there, still', async () => {
    const page = await openEmbed(browser.context, embedUrl('step=8&range=5-12'));
    await waitStep(page, 8);
    assert.equal(await playing(page), false);
    await page.close();
  });

  test('autoplay=1 plays from the range start and stops at its end', async () => {
    const page = await openEmbed(browser.context, embedUrl('range=5-8&autoplay=1&speed=2'));
    // At 2 steps per second (1.5 s for the range) the first ready view is caught playing.
    const first = await page.evaluate(() => ({ ...window.__spoolscope }));
    assert.equal(first.playing, true, 'playing when it opens');
    assert.ok(first.step >= 5 && first.step < 8, `at ${first.step}`);
    await page.waitForFunction(() => window.__spoolscope.step === 8 && !window.__spoolscope.playing, null, { timeout: 10_000 });
    assert.match(await page.locator('[data-testid="step"]').textContent(), /^8 \/ 42$/);
    assert.equal(await page.locator('[data-testid="play"]').getAttribute('aria-pressed'), 'false');
    await page.close();
  });

  test('autoplay=1 with step= and no range plays to the end of the run', async () => {
    const page = await openEmbed(browser.context, embedUrl('step=30&autoplay=1&speed=60'));
    await page.waitForFunction((t) => window.__spoolscope.step === t && !window.__spoolscope.playing, total, { timeout: 10_000 });
    await page.close();
    const still = await openEmbed(browser.context, embedUrl('step=30&autoplay=0'));
    await waitStep(still, 30);
    assert.equal(await playing(still), false);
    await still.close();
  });

  test('theme=dark and theme=light set <html data-theme>', async () => {
    const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await openEmbed(browser.context, embedUrl('theme=dark&step=20'));
    assert.equal(await dark.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot(dark, 'embed-seed-dark.png');
    const light = await openEmbed(browser.context, embedUrl('theme=light&step=20'));
    assert.equal(await light.evaluate(() => document.documentElement.dataset.theme), 'light');
    const luminance = (rgb) => {
      const [r, g, b] = rgb.match(/\d+/g).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [d, l] = [await background(dark), await background(light)];
    assert.ok(luminance(d) < 80 && luminance(l) > 180, `dark ${d}, light ${l}`);
    await dark.close();
    await light.close();
  });

  test('#preset=SLUG embeds a preset', async () => {
    const slug = 'retries';
    const page = await openEmbed(browser.context, `${server.url}?embed=1#preset=${slug}`);
    await page.locator('[data-testid="embed"]').waitFor();
    assert.equal(await page.evaluate(() => window.__spoolscope.total), cliTrace(presetPath(slug)).events.length);
    await page.close();
  });

  test('"Open in Spoolscope" opens the full playground at the step and selection shown', async () => {
    const page = await openEmbed(browser.context, embedUrl('step=7&range=5-30&panels=diagram'));
    await waitStep(page, 7);
    await page.click('[data-testid="step-forward"]');
    await waitStep(page, 8);
    const sel = trace.events.find((e) => e.seq >= 5 && e.seq <= 8 && e.kind === 'call').seq;
    await clickEvent(page, sel);
    const open = page.locator('[data-testid="open-full"]');
    await page.waitForFunction((sel) => document.querySelector('[data-testid="open-full"]').href.endsWith(`&step=8&sel=${sel}`), sel);
    const href = await open.getAttribute('href');
    assert.ok(href.startsWith(`${server.url}#v=2&s=`), href);
    assert.ok(!/[?&](embed|range|panels)=/.test(href), `no embed options: ${href}`);
    assert.equal(inflatePart(fragmentOf(href).s), presetText('seed'));
    const [full] = await Promise.all([browser.context.waitForEvent('page'), open.click()]);
    await waitReady(full);
    await waitStep(full, 8);
    await waitDetails(full, sel);
    assert.equal(await full.locator('[data-testid="embed"]').count(), 0, 'the full playground');
    assert.equal(await full.locator('[data-testid="presets"]').count(), 1);
    assert.equal(await editorText(full), presetText('seed'));
    // The whole run: the embed's range does not follow it.
    await full.click('[data-testid="jump-end"]');
    await waitStep(full, total);
    await full.close();
    await page.close();
  });

  test('Copy embed snippet writes the iframe of links §5, which works on another site', async () => {
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    await scrubTo(page, 10);
    await page.click('[data-testid="snippet"]');
    await page.waitForFunction(() => /copied/i.test(document.querySelector('.notice')?.textContent ?? ''));
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    const m = /^<iframe src="([^"]+)" width="800" height="500" title="([^"]*)" loading="lazy" style="border:0"><\/iframe>$/.exec(snippet);
    assert.ok(m, snippet);
    assert.equal(m[2], `Spoolscope: ${trace.title}`);
    assert.ok(m[1].startsWith(`${server.url}?embed=1#v=2&amp;s=`), m[1]);
    assert.ok(!/&(?!amp;)/.test(m[1]), 'every & is written &amp;');
    const src = m[1].replaceAll('&amp;', '&');
    const parts = fragmentParts(src);
    assert.deepEqual(parts.map(([k]) => k), ['v', 's', 'h', 't', 'step']);
    const f = fragmentOf(src);
    assert.equal(f.step, '10');
    assert.equal(f.h, cliHash(SEED));
    assert.equal(inflatePart(f.s), presetText('seed'));
    assert.equal(inflatePart(f.t), inflatePart(fragmentOf(cliLink(SEED)).t));
    await page.close();

    // Pasted as it is into a page of another origin.
    const site = await startFiles({ 'index.html': `<!doctype html><title>docs</title><h1>Docs</h1>\n${snippet}\n` });
    try {
      const host = await browser.context.newPage();
      await host.goto(site.url);
      const frame = await (await host.$('iframe')).contentFrame();
      await waitReady(frame);
      await waitStep(frame, 10);
      assert.equal(await frame.locator('[data-testid="embed"]').count(), 1);
      assert.equal(await frame.locator('.divergence').count(), 0);
      await shot(host, 'embed-snippet-host.png');
      await host.close();
    } finally {
      await site.close();
    }
  });

  describe('postMessage API, from another origin', () => {
    let hostB; // the example host page's server: the embedding origin
    let hostC; // a third origin
    let host; // the example host page on B, embedding the seed
    let embed; // its iframe's frame

    /** The host page (example page) on `files` embedding `url`. */
    async function openHost(files, url) {
      const page = await browser.context.newPage();
      page.consoleErrors = [];
      page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
      await page.goto(`${files.url}?src=${encodeURIComponent(url)}`);
      const frame = await (await page.$('#spoolscope')).contentFrame();
      await waitReady(frame);
      return { page, frame };
    }

    const got = (page) => page.evaluate(() => window.__got);
    const mark = (page) => page.evaluate(() => window.__got.length);
    const send = (page, message) => page.evaluate((m) => window.spoolscope.send(m), message);

    /** Waits for the first message from index `from` on whose fields are those of `match`. */
    async function next(page, from, match, timeout = 20_000) {
      const handle = await page.waitForFunction(
        ({ from, match }) => {
          const i = window.__got.slice(from).findIndex((m) => m && Object.entries(match).every(([k, v]) => m[k] === v));
          return i >= 0 ? { index: from + i, message: window.__got[from + i] } : null;
        },
        { from, match },
        { timeout },
      );
      return handle.jsonValue();
    }

    /** Sends a command and waits for the next message of `type` (with `match`) it brings. */
    async function ask(page, command, match) {
      const from = await mark(page);
      await send(page, command);
      return (await next(page, from, match)).message;
    }

    before(async () => {
      hostB = await startFiles({ 'index.html': hostExample() });
      hostC = await startFiles({ 'index.html': hostExample() });
      ({ page: host, frame: embed } = await openHost(hostB, embedUrl()));
    });

    after(async () => {
      await host?.close();
      await hostB?.close();
      await hostC?.close();
    });

    test('ready: total, step, title and the CLI trace hash', async () => {
      const { message: ready } = await next(host, 0, { type: 'ready' });
      assert.deepEqual(ready, { type: 'ready', total, step: total, title: trace.title, hash: cliHash(SEED) });
      const first = (await got(host))[0];
      assert.equal(first.type, 'ready', 'ready is the first message');
    });

    test("seek: a step event with the CLI trace's event of that step", async () => {
      for (const [asked, step] of [[0, 0], [1, 1], [17, 17], [total, total], [5, 5], [total + 50, total]]) {
        const from = await mark(host);
        await send(host, { type: 'seek', step: asked });
        const { message } = await next(host, from, { type: 'step', step });
        assert.deepEqual(message, { type: 'step', step, total, event: step === 0 ? null : trace.events[step - 1] }, `seek ${asked}`);
        await waitStep(embed, step);
      }
    });

    test('play plays (a step event per step) and pause stops', async () => {
      await ask(host, { type: 'seek', step: 0 }, { type: 'step', step: 0 });
      let from = await mark(host);
      await send(host, { type: 'play' });
      await next(host, from, { type: 'step', step: 1 });
      const second = await next(host, from, { type: 'step', step: 2 });
      // Steps come in order, one event each, the trace's events.
      const steps = (await got(host)).slice(from, second.index + 1).filter((m) => m.type === 'step');
      assert.deepEqual(steps.map((m) => m.step), [1, 2]);
      assert.deepEqual(steps[1].event, trace.events[1]);
      await send(host, { type: 'pause' });
      await embed.waitForFunction(() => window.__spoolscope.ready && !window.__spoolscope.playing);
      const at = await stepOf(embed);
      assert.ok(at >= 2 && at < total, `paused at ${at}`);
      // Once the step it paused at has been announced, the next step event is the next seek's:
      // no tick came in between.
      await embed.waitForFunction(() => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') === 'false');
      await host.waitForFunction((at) => window.__got.filter((m) => m.type === 'step').at(-1)?.step === at, at);
      from = await mark(host);
      await send(host, { type: 'seek', step: at + 2 });
      const after = await next(host, from, { type: 'step' });
      assert.equal(after.message.step, at + 2);
    });

    test('load text: a new run and a new ready; its steps are its trace', async () => {
      const text = presetText('seed').replace('return MAPI_E_USER_CANCEL;', 'return MAPI_E_CALL_FAILED;');
      const tmp = tempScenario(text);
      try {
        const other = cliTrace(tmp.file);
        const ready = await ask(host, { type: 'load', text }, { type: 'ready' });
        assert.deepEqual(ready, { type: 'ready', total: other.events.length, step: other.events.length, title: other.title, hash: cliHash(tmp.file) });
        assert.notEqual(ready.hash, cliHash(SEED));
        const seq = other.events.find((e) => e.result === 'MAPI_E_CALL_FAILED').seq;
        const step = await ask(host, { type: 'seek', step: seq }, { type: 'step', step: seq });
        assert.deepEqual(step.event, other.events[seq - 1]);
      } finally {
        tmp.remove();
      }
    });

    test('load link: a whole address or a fragment, at the step it names', async () => {
      for (const [slug, link] of [
        ['dr-on-request', cliLink(presetPath('dr-on-request'), { base: server.url, view: 'step=3' })],
        ['ndr-statusrecips', cliLink(presetPath('ndr-statusrecips'), { view: 'step=4' })],
      ]) {
        const t = cliTrace(presetPath(slug));
        const ready = await ask(host, { type: 'load', link }, { type: 'ready', title: t.title });
        const step = Number(fragmentOf(link).step);
        assert.deepEqual(ready, { type: 'ready', total: t.events.length, step, title: t.title, hash: cliHash(presetPath(slug)) });
        await waitStep(embed, step);
      }
    });

    test("load text with an error: an error event at the CLI's line and column; the last run stays", async () => {
      const before = await embed.evaluate(() => ({ ...window.__spoolscope }));
      const { text } = withSyntaxError(presetText('seed'));
      const cli = cliOnText('check', text);
      assert.equal(cli.ok, false);
      const error = await ask(host, { type: 'load', text }, { type: 'error' });
      assert.equal(error.line, cli.line);
      assert.equal(error.col, cli.col);
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 0);
      const now = await embed.evaluate(() => ({ ...window.__spoolscope }));
      assert.equal(now.total, before.total);
      assert.equal(now.title, before.title);
    });

    test('load of a bad link: an error event naming the reason', async () => {
      const error = await ask(host, { type: 'load', link: '#v=2&s=nVfrbuJGFP7vpzj1Sg10qTdkN2kFQlqWsCu0' }, { type: 'error' });
      assert.match(error.message, /the link cannot be opened: .*damaged or cut short/);
      const none = await ask(host, { type: 'load', link: '#preset=seed' }, { type: 'error' });
      assert.match(none.message, /carries no scenario/);
    });

    test('garbage: one error event each, and nothing changes', async () => {
      const before = await embed.evaluate(() => ({ ...window.__spoolscope }));
      const garbage = [
        'hello',
        42,
        null,
        [1, 2],
        {},
        { type: 7 },
        { type: 'nope' },
        { type: '<img src=x onerror=alert(1)>'.repeat(10) },
        { type: 'seek' },
        { type: 'seek', step: -1 },
        { type: 'seek', step: 1.5 },
        { type: 'seek', step: '3' },
        { type: 'load' },
        { type: 'load', text: 'a', link: 'b' },
        { type: 'load', text: 5 },
        { type: 'load', text: 'x'.repeat(65_537) },
        { type: 'load', link: 'x'.repeat(262_145) },
      ];
      const from = await mark(host);
      for (const g of garbage) await send(host, g);
      await host.evaluate(() => window.spoolscope.send(undefined));
      // A good command after them: its step event comes after their errors.
      const target = before.step === 1 ? 2 : 1;
      await send(host, { type: 'seek', step: target });
      const { index } = await next(host, from, { type: 'step', step: target });
      const answers = (await got(host)).slice(from, index);
      assert.equal(answers.length, garbage.length + 1, JSON.stringify(answers, null, 1));
      for (const a of answers) {
        assert.equal(a.type, 'error');
        assert.equal(typeof a.message, 'string');
        assert.ok(a.message.length > 0 && a.message.length < 200, a.message);
        assert.ok(!('line' in a) && !('col' in a), 'a bad command has no line');
      }
      assert.match(answers[6].message, /unknown message type/);
      assert.match(answers[15].message, /over 64 KiB/);
      assert.deepEqual(host.consoleErrors, []);
      assert.equal(await embed.evaluate(() => window.__spoolscope.title), before.title);
    });

    describe('origin= in the embed address', () => {
      /** Counts the messages the embed's window receives (after the page's own listener). */
      const countMessages = (frame) =>
        frame.evaluate(() => {
          window.__seen = 0;
          window.addEventListener('message', () => window.__seen++);
        });

      /**
       * Sends, from `sender` (a frame), commands that would move an embed at its run's end to
       * step 0 or change its text; waits until the embed's window has received them; then
       * steps back once with the player. An embed that ignored them is at total - 1 with its
       * text unchanged; one that obeyed would be at 0 (or playing, or on another text).
       */
      async function assertIgnored(sender, frame, post) {
        await frame.click('[data-testid="jump-end"]');
        await waitStep(frame, total);
        await countMessages(frame);
        const commands = [{ type: 'seek', step: 1 }, { type: 'load', text: 'version = 1\ntitle = "intruder"\n' }, { type: 'play' }, 'garbage'];
        await sender.evaluate(post, commands);
        await frame.waitForFunction((n) => window.__seen === n, commands.length);
        await frame.click('[data-testid="step-back"]');
        await waitStep(frame, total - 1);
        assert.equal(await playing(frame), false);
        assert.equal(await frame.evaluate(() => window.__spoolscope.title), trace.title);
        assert.equal(await editorText(frame), presetText('seed'));
      }

      test('commands from the named origin are taken, events go to it', async () => {
        const url = embedUrl(`panels=diagram,editor&origin=${hostB.url.replace(/\/$/, '')}`);
        assert.match(url, /&origin=http:\/\/127\.0\.0\.1:\d+$/);
        const { page } = await openHost(hostB, url);
        try {
          const { message: ready } = await next(page, 0, { type: 'ready' });
          assert.equal(ready.hash, cliHash(SEED));
          const step = await ask(page, { type: 'seek', step: 3 }, { type: 'step', step: 3 });
          assert.deepEqual(step.event, trace.events[2]);
          const error = await ask(page, { type: 'seek' }, { type: 'error' });
          assert.match(error.message, /`seek` takes `step`/);
          await shot(page, 'embed-host-example.png');
        } finally {
          await page.close();
        }
      });

      test('commands from a third origin are ignored, and it hears nothing', async () => {
        // The same embed address (origin = B) embedded by C's page.
        const url = embedUrl(`panels=diagram,editor&origin=${hostB.url.replace(/\/$/, '')}`);
        const { page, frame } = await openHost(hostC, url);
        try {
          await assertIgnored(page, frame, (commands) => {
            const w = document.getElementById('spoolscope').contentWindow;
            for (const c of commands) w.postMessage(c, '*');
          });
          assert.deepEqual(await got(page), [], 'no event is posted to another origin');
        } finally {
          await page.close();
        }
      });

      test('commands from a window other than the parent are ignored, whatever its origin', async () => {
        // B's page embeds without origin=; a sibling frame from C posts to the embed.
        const { page, frame } = await openHost(hostB, embedUrl('panels=diagram,editor'));
        try {
          await next(page, 0, { type: 'ready' });
          const from = await mark(page);
          await page.evaluate((src) => {
            const f = document.createElement('iframe');
            f.id = 'sibling';
            f.src = src;
            document.body.append(f);
            return new Promise((ok) => f.addEventListener('load', ok));
          }, hostC.url);
          const sibling = await (await page.$('#sibling')).contentFrame();
          await assertIgnored(sibling, frame, (commands) => {
            for (const c of commands) parent.frames[0].postMessage(c, '*');
          });
          // B heard the step-back's step event only: no error for the sibling's garbage.
          const heard = (await got(page)).slice(from);
          assert.ok(heard.every((m) => m.type === 'step'), JSON.stringify(heard));
        } finally {
          await page.close();
        }
      });
    });
  });
});
