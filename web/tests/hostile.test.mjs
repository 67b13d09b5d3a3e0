// Hostile text (issue "Safe, accessible and true"): a scenario whose title, description,
// recipient names and addresses, subject, fail() text and log() message carry <script>,
// <img onerror>, javascript: and SVG payloads. Typed into the page (the worker's run), opened
// from its link in the full page and in the embed (every panel), with every event's details
// opened, and exported (the SVG opened by itself in Chromium, the Mermaid, the JSON): nothing
// runs, no element is made from it, and the text is shown as the text it is.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cliLink,
  cliTrace,
  closeSuite,
  download,
  launch,
  openPage,
  setEditor,
  startFiles,
  startServer,
  tempScenario,
  waitDetails,
  waitStep,
  waitReady,
} from './harness.mjs';

const TITLE = `T <script>window.__pwned='title'</script>`;
const DESCRIPTION = `D <img src=x onerror="window.__pwned='desc'"> javascript:window.__pwned='js'`;
const LOG = `L <svg onload="window.__pwned='log'"><script>window.__pwned='svg'</script></svg>`;
const FAIL = `F <img src=x onerror="window.__pwned='fail'"> ]]> &amp;`;
const SUBJECT = `S <script>window.__pwned='subject'</script>`;
const NAME = `N <img src=x onerror="window.__pwned='name'">`;
const JSNAME = `javascript:window.__pwned='jsname'`;

// For these ASCII payloads a JSON string is also a TOML basic string and a Rhai string.
const quoted = (s) => JSON.stringify(s);

const TEXT = `version = 1
title = ${quoted(TITLE)}
description = ${quoted(DESCRIPTION)}

[[transport]]
name = "smtp"
address_types = ["SMTP"]
script = '''
fn submit_message(msg) {
    log(${quoted(LOG)});
    for r in msg.recipients {
        fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, ${quoted(FAIL)});
    }
    S_OK
}
'''

[[message]]
id = "m1"
subject = ${quoted(SUBJECT)}
recipients = [
  { name = ${quoted(NAME)}, address = "a<script>@x.example", type = "SMTP" },
  { name = ${quoted(JSNAME)}, address = "javascript:alert(1)", type = "SMTP" },
]
`;

/** Nothing ran and nothing was made of the payloads in `frame` (a page or a frame). */
async function assertInert(frame, where) {
  const found = await frame.evaluate(() => ({
    pwned: window.__pwned ?? null,
    made: [...document.querySelectorAll('img[src="x"], [onerror], [onload], a[href^="javascript:" i], foreignObject')].map((e) => e.outerHTML.slice(0, 80)),
    scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).map((s) => s.outerHTML.slice(0, 80)),
  }));
  assert.equal(found.pwned, null, `${where}: a payload ran`);
  assert.deepEqual(found.made, [], `${where}: elements made from a payload`);
  assert.deepEqual(found.scripts, [], `${where}: an inline script element`);
}

/** The page's visible text. */
const shownText = (frame) => frame.evaluate(() => document.body.innerText);

describe('hostile text', () => {
  let server;
  let browser;
  let tmp;
  let trace;
  before(async () => {
    server = await startServer();
    browser = await launch();
    tmp = tempScenario(TEXT);
    trace = cliTrace(tmp.file);
  });
  after(async () => {
    tmp?.remove();
    await closeSuite({ server, browser });
  });

  test('typed into the page: shown as text in every panel and every event detail; exports inert', async () => {
    const page = await openPage(browser.context, `${server.url}#preset=seed`);
    await setEditor(page, TEXT);
    await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t && window.__spoolscope.title.startsWith('T <script>'), trace.events.length);
    // The page opened at step 0 and an edit keeps the step: the whole run, every event drawn.
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, trace.events.length);
    const text = await shownText(page);
    for (const s of [TITLE, DESCRIPTION, NAME, JSNAME]) assert.ok(text.includes(s), `shown as text: ${s}`);
    assert.equal(await page.locator('[data-testid="title"]').textContent(), TITLE);
    await assertInert(page, 'page');
    // Every event's details (the log note, StatusRecips with the NDR texts, the report notes).
    let sawFail = false;
    for (const ev of trace.events) {
      const arrow = page.locator(`[data-testid="diagram"] [data-testid="arrow"][data-seq="${ev.seq}"]`);
      if ((await arrow.count()) === 0) continue;
      await arrow.evaluate((g) => g.scrollIntoView({ block: 'center' }));
      await arrow.dispatchEvent('click');
      await waitDetails(page, ev.seq);
      const details = await page.locator('[data-testid="details"]').innerText();
      // Shown as a quoted string, escaped as the CLI's text output escapes it.
      if (details.includes(`PR_REPORT_TEXT = ${JSON.stringify(FAIL)}`)) sawFail = true;
      await assertInert(page, `details of event ${ev.seq}`);
    }
    assert.ok(sawFail, 'the fail() text is shown, as text, in some details');
    assert.ok((await shownText(page)).includes(LOG), 'the log() message is shown as text');

    // Exports: the SVG on its own, the Mermaid and the JSON.
    const svg = (await download(page, () => page.click('[data-testid="export-svg"]'))).bytes.toString('utf8');
    assert.doesNotMatch(svg, /<(script|img|foreignObject)\b|\son[a-z]+\s*=\s*["']/i, 'the SVG has no markup from the text');
    assert.ok(svg.includes('&lt;script&gt;'), 'the payloads are escaped text');
    const files = await startFiles({ 'trace.svg': svg });
    try {
      const view = await browser.context.newPage();
      await view.goto(`${files.url}trace.svg`);
      await view.waitForTimeout(200);
      assert.equal(await view.evaluate(() => window.__pwned ?? null), null, 'the SVG ran nothing');
      assert.equal(await view.evaluate(() => document.querySelectorAll('script, [onload], [onerror], foreignObject').length), 0);
      await view.close();
    } finally {
      await files.close();
    }
    const mermaid = (await download(page, () => page.click('[data-testid="export-mermaid"]'))).bytes.toString('utf8');
    assert.doesNotMatch(mermaid, /<script|<img|<svg/i, 'Mermaid labels carry no HTML (mermaid renders HTML in labels)');
    const json = JSON.parse((await download(page, () => page.click('[data-testid="export-json"]'))).bytes.toString('utf8'));
    assert.equal(json.title, TITLE, 'the trace JSON carries the title as a string');
    assert.equal(await page.evaluate(() => window.__pwned ?? null), null);
    await page.close();
  });

  test('opened from its link, in the full page and in the embed with every panel', async () => {
    const link = cliLink(tmp.file);
    const fragment = link.slice(link.indexOf('#'));
    const page = await openPage(browser.context, `${server.url}${fragment}`);
    assert.equal(await page.locator('[data-testid="title"]').textContent(), TITLE);
    await assertInert(page, 'full page from the link');
    await page.close();

    const embed = await browser.context.newPage();
    await embed.goto(`${server.url}?embed=1&panels=diagram,recipients,queue,status,warnings,editor${fragment}`);
    await waitReady(embed);
    const text = await shownText(embed);
    for (const s of [TITLE, NAME, JSNAME]) assert.ok(text.includes(s), `embed shows as text: ${s}`);
    await assertInert(embed, 'embed');
    await embed.close();
  });
});
