// Share links (format 2, `#v=2&s=…&h=…&t=…`, links §1): an edited scenario shared from one
// browser opens, edited, in another and runs as the CLI runs it; opening a link does not
// overwrite the scenario saved in that browser; a link that cannot be decoded opens the saved
// scenario with a notice (contract §5, links §4). links.test.mjs checks the step, selection,
// trace hash, format 1 links and every bad link of tests/links/bad.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cliOnText,
  defaultSlug,
  cliHash,
  editorText,
  fragmentOf,
  inflatePart,
  launch,
  openPage,
  openPreset,
  presetText,
  setEditor,
  startServer,
  tempScenario,
  waitReady,
  withBusy,
} from './harness.mjs';

const notice = (page) => page.locator('.notice').textContent();

describe('share links', () => {
  let server;
  let sender;
  let receiver;
  let link;
  let edited;

  before(async () => {
    server = await startServer();
    sender = await launch();
    receiver = await launch();
  });

  after(async () => {
    await sender?.close();
    await receiver?.close();
    await server?.close();
  });

  test('Share puts a link to the edited text in the address bar and on the clipboard', async () => {
    await sender.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await openPage(sender.context, server.url);
    edited = withBusy(presetText(defaultSlug())).text;
    const cli = cliOnText('run', edited);
    assert.ok(cli.ok);
    await setEditor(page, edited);
    await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t, cli.trace.events.length);
    // The page opened at step 0 (and an edit keeps the step): share the whole run.
    await page.click('[data-testid="jump-end"]');
    await page.waitForFunction((t) => window.__spoolscope.step === t, cli.trace.events.length);
    await page.click('[data-testid="share"]');
    await page.waitForFunction(() => location.hash.startsWith('#v=2&s='));
    link = await page.evaluate(() => location.href);
    // At the end of the run with nothing selected: no `step`, no `sel`. The busy transport
    // retries for an hour of virtual time: its recorded trace would be over 64 KiB, so the link
    // carries the hash alone (links §3).
    assert.match(link, /#v=2&s=[A-Za-z0-9_-]+&h=[0-9a-f]{12}$/);
    assert.equal(inflatePart(fragmentOf(link).s), edited);
    const tmp = tempScenario(edited);
    try {
      assert.equal(fragmentOf(link).h, cliHash(tmp.file), 'h is the CLI trace hash');
    } finally {
      tmp.remove();
    }
    assert.match(await notice(page), /Share link copied to the clipboard/);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    // Compressed: the scenario part is shorter than the text it carries.
    assert.ok(fragmentOf(link).s.length < edited.length, `${fragmentOf(link).s.length} chars for ${edited.length}`);
    // Editing again: the address no longer claims to be that link.
    await setEditor(page, `${edited}\n# more`);
    await page.waitForFunction(() => location.hash === '');
  });

  test('the link opens the edited scenario elsewhere, and the saved one there survives', async () => {
    assert.ok(link, 'the previous test made a link');
    // The receiver has its own saved scenario: another preset.
    const page = await openPage(receiver.context, server.url);
    await openPreset(page, 'no-transport');
    const saved = presetText('no-transport');
    assert.equal(await editorText(page), saved);

    // Pasted into the address bar of the open page: only the hash changes (no reload).
    await page.goto(link);
    await page.waitForFunction((t) => document.querySelector('[data-testid="editor"]').value === t, edited);
    await waitReady(page);
    assert.equal(await editorText(page), edited);
    assert.equal(await page.evaluate(() => window.__spoolscope.total), cliOnText('run', edited).trace.events.length);
    assert.match(await notice(page), /Opened a shared scenario/);

    // Opened fresh in a new tab, the same link shows the same text.
    const tab = await openPage(receiver.context, link);
    assert.equal(await editorText(tab), edited);
    await tab.close();

    // Opening the page without the link: the receiver's own scenario is still there.
    await page.goto(server.url);
    await waitReady(page);
    assert.equal(await editorText(page), saved);
    await page.close();
  });

  test('the edited text survives a reload; a #preset= address does not replace it', async () => {
    const own = await launch();
    try {
      const page = await openPage(own.context, server.url);
      const mine = `${presetText(defaultSlug())}\n# mine`;
      await setEditor(page, mine);
      await page.waitForFunction(() => window.__spoolscope.ready);
      await page.reload();
      await waitReady(page);
      assert.equal(await editorText(page), mine, 'the edit was saved');
      const other = await openPage(own.context, `${server.url}#preset=no-transport`);
      assert.equal(await editorText(other), presetText('no-transport'));
      await other.close();
      const again = await openPage(own.context, server.url);
      assert.equal(await editorText(again), mine, 'opening a preset address kept the saved text');
    } finally {
      await own.close();
    }
  });

  for (const [what, hash, why] of [
    ['characters outside base64url', '#s=%25%25%25', /its `s` part has characters that links never use/],
    ['data that is not DEFLATE', '#s=AAAAAAAAAAAA', /damaged or cut short/],
  ]) {
    test(`a link with ${what} opens the saved scenario with a notice`, async () => {
      const page = await openPage(receiver.context, `${server.url}${hash}`);
      assert.match(await notice(page), /^This link cannot be opened: /);
      assert.match(await notice(page), why);
      assert.equal(await editorText(page), presetText('no-transport'));
      await page.close();
    });
  }
});
