// Exports (links §6): the export bar saves trace.json, trace.mmd, trace.svg and reports.mbox
// with exactly the bytes `spoolscope run FILE --format json|mermaid|svg|dsn` prints, for every
// preset, for the opening run (answered on the page) and for an edit (answered by the worker).
// The SVG file opens in Chromium on its own and draws the lanes (a screenshot is kept); the
// mbox is read back by Python's `mailbox`/`email` as RFC 3464 reports; the details panel of a
// report event shows that report's DSN as text, hostile text included.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  SHOTS,
  clickEvent,
  cliRun,
  cliTrace,
  download,
  launch,
  openPage,
  openPreset,
  presetPath,
  presetSlugs,
  scrubTo,
  setEditor,
  startFiles,
  startServer,
  tempScenario,
  waitReady,
} from './harness.mjs';

const EXPORTS = [
  { testid: 'export-json', name: 'trace.json', format: 'json' },
  { testid: 'export-mermaid', name: 'trace.mmd', format: 'mermaid' },
  { testid: 'export-svg', name: 'trace.svg', format: 'svg' },
  { testid: 'export-dsn', name: 'reports.mbox', format: 'dsn' },
];

/** Clicks every export button; asserts each file's name and bytes against the CLI's. */
async function checkExports(page, file, where) {
  const saved = {};
  for (const e of EXPORTS) {
    const { name, bytes } = await download(page, () => page.click(`[data-testid="${e.testid}"]`));
    assert.equal(name, e.name, `${where}: ${e.testid} saves ${e.name}`);
    const cli = cliRun(file, e.format);
    // Byte for byte (a compact message instead of two megabyte-long strings).
    if (!bytes.equals(cli)) {
      let i = 0;
      while (i < bytes.length && bytes[i] === cli[i]) i++;
      assert.fail(
        `${where}: ${e.name} differs from --format ${e.format} at byte ${i} (page ${bytes.length} bytes, CLI ${cli.length}):\n` +
          `page: ${JSON.stringify(bytes.subarray(Math.max(0, i - 40), i + 40).toString())}\n` +
          `cli:  ${JSON.stringify(cli.subarray(Math.max(0, i - 40), i + 40).toString())}`,
      );
    }
    saved[e.format] = bytes;
  }
  return saved;
}

// Python's reading of an mbox of reports, as crates/cli/tests/dsn.rs reads it.
const READER = String.raw`
import email, email.policy, json, mailbox, sys

def load(f):
    return email.message_from_binary_file(f, policy=email.policy.default)

out = []
for msg in mailbox.mbox(sys.argv[1], factory=load):
    parts = msg.get_payload() if msg.is_multipart() else []
    r = {
        "content_type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "subject": str(msg["Subject"]),
        "headers": list(msg.keys()),
        "parts": [p.get_content_type() for p in parts],
        "defects": [repr(d) for d in msg.defects]
            + [repr(d) for p in parts for d in p.defects]
            + [k + ": " + repr(d) for k in msg.keys() for d in getattr(msg[k], "defects", [])],
        "per_message": None,
        "recipients": [],
    }
    status = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    if status:
        blocks = status[0].get_payload()
        r["per_message"] = {k: str(v) for k, v in blocks[0].items()}
        r["recipients"] = [{k: str(v) for k, v in b.items()} for b in blocks[1:]]
    text = [p for p in parts if p.get_content_type() == "text/plain"]
    r["text"] = text[0].get_content() if text else None
    out.append(r)
print(json.dumps(out))
`;

/** The mbox read by python3 (one object per message). */
function pythonRead(mbox) {
  const tmp = tempScenario(mbox.toString('utf8'), 'reports.mbox');
  try {
    const r = spawnSync('python3', ['-c', READER, tmp.file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.error) throw new Error(`python3 is needed to read the mbox: ${r.error.message}`);
    assert.equal(r.status, 0, `python3 could not read the mbox: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    tmp.remove();
  }
}

/** The messages of an mboxrd file as the details panel shows them: no `From ` line, unquoted. */
function mboxMessages(mbox) {
  const messages = [];
  let current = null;
  for (const line of mbox.toString('utf8').split('\n')) {
    if (line.startsWith('From ')) {
      current = [];
      messages.push(current);
    } else if (current) {
      current.push(line.replace(/^>(>*From )/, '$1'));
    }
  }
  // Each message ends with a newline and is followed by the framing's blank line: split on
  // newlines, that is one empty line after its own (two after the last, the file's end).
  return messages.map((lines, i) => {
    const text = lines.join('\n');
    return i === messages.length - 1 ? text.slice(0, -1) : text;
  });
}

/** Checks Python's reading of a reports mbox against the trace's reports and recipients. */
function checkDsn(messages, trace, where) {
  assert.equal(messages.length, trace.reports.length, `${where}: one message per report`);
  const rows = new Map(trace.recipients.map((r) => [`${r.message}/${r.index}`, r]));
  messages.forEach((m, k) => {
    const report = trace.reports[k];
    const at = `${where}: report ${k + 1} (${report.kind} of ${report.message})`;
    assert.equal(m.content_type, 'multipart/report', at);
    assert.equal(m.report_type, 'delivery-status', at);
    assert.deepEqual(m.defects, [], `${at}: no parse defects`);
    assert.equal(m.parts[0], 'text/plain', at);
    assert.equal(m.parts[1], 'message/delivery-status', at);
    assert.match(m.per_message?.['Reporting-MTA'] ?? '', /^dns; \S+$/, `${at}: Reporting-MTA`);
    assert.ok(m.text.includes(report.class), `${at}: the text names ${report.class}`);
    assert.equal(m.recipients.length, report.recipients.length, `${at}: one block per recipient`);
    m.recipients.forEach((block, j) => {
      const row = rows.get(`${report.message}/${report.recipients[j]}`);
      for (const field of ['Final-Recipient', 'Action', 'Status']) {
        assert.ok(block[field], `${at}: recipient ${j} has ${field}`);
      }
      if (/^[\x20-\x7e]*$/.test(row.address)) {
        assert.ok(block['Final-Recipient'].endsWith(`; ${row.address}`), `${at}: ${block['Final-Recipient']} is ${row.address}`);
      }
      if (report.kind === 'NDR') {
        assert.equal(block.Action, 'failed', at);
        assert.match(block.Status, /^5\.\d+\.\d+$/, at);
      } else {
        assert.equal(block.Action, 'delivered', at);
        assert.match(block.Status, /^2\.\d+\.\d+$/, at);
      }
    });
  });
}

/** A scenario whose texts try to inject header fields, boundaries and markup (dsn.rs). */
const HOSTILE = String.raw`version = 1
title = "hostile <b>bold</b>"

[[transport]]
name = "Evil_SMTP"
address_types = ["SMTP"]
script = '''
fn submit_message(msg) {
    for r in msg.recipients {
        fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN,
             "550 nope\r\nBcc: victim@example.com\r\n\r\nFrom x\n--=_spoolscope-report-1 <img src=x onerror=window.__pwned=1> Grüße");
    }
    S_OK
}
'''

[[message]]
id = "m1"
subject = "Hi\r\nBcc: x@y\r\n\r\n<script>window.__pwned=1</script> Grüße\nFrom me"
recipients = [
  { name = "Eve\r\nBcc: z@w", address = "eve@contoso.example", type = "SMTP" },
  { name = "Jörg", address = "jörg@bücher.example", type = "SMTP", recipient_type = "CC" },
]
`;

describe('exports', () => {
  let server;
  let browser;
  let page;
  /** slug → the bytes the page saved (the SVG and mbox tests reuse them). */
  const saved = new Map();

  before(async () => {
    server = await startServer();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the opening run (answered on the page) exports the CLI bytes', async () => {
    page = await openPage(browser.context, `${server.url}#preset=seed`);
    saved.set('seed', await checkExports(page, presetPath('seed'), 'seed, opening run'));
  });

  for (const slug of presetSlugs()) {
    test(`${slug}: JSON, Mermaid, SVG and DSN are the CLI's bytes`, async () => {
      const file = presetPath(slug);
      await openPreset(page, slug, cliTrace(file).events.length);
      saved.set(slug, await checkExports(page, file, slug));
    });
  }

  test('an edited scenario (the worker run) exports the CLI bytes', async () => {
    const text = HOSTILE;
    const tmp = tempScenario(text);
    try {
      const total = cliTrace(tmp.file).events.length;
      await setEditor(page, text);
      await page.waitForFunction((t) => window.__spoolscope.ready && window.__spoolscope.total === t && window.__spoolscope.title.startsWith('hostile'), total);
      const bytes = await checkExports(page, tmp.file, 'hostile edit');
      checkDsn(pythonRead(bytes.dsn), cliTrace(tmp.file), 'hostile');
      const messages = pythonRead(bytes.dsn);
      for (const m of messages) assert.ok(!m.headers.includes('Bcc'), 'no header injected');
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no markup ran');
    } finally {
      tmp.remove();
    }
  });

  for (const slug of ['seed', 'ndr-statusrecips']) {
    test(`${slug}: trace.svg opens in Chromium by itself and draws its lanes`, async () => {
      const svg = saved.get(slug)?.svg;
      assert.ok(svg, 'the export test saved it');
      const trace = cliTrace(presetPath(slug));
      const files = await startFiles({ 'trace.svg': svg.toString('utf8') });
      const view = await browser.context.newPage();
      try {
        const res = await view.goto(`${files.url}trace.svg`);
        assert.equal(res.headers()['content-type'], 'image/svg+xml');
        const drawn = await view.evaluate(() => {
          const root = document.documentElement;
          const box = (el) => el.getBoundingClientRect();
          return {
            tag: root.tagName,
            width: box(root).width,
            height: box(root).height,
            title: document.querySelector('svg > title')?.textContent,
            lanes: [...document.querySelectorAll('g.lane')].map((g) => ({
              id: g.querySelector('title')?.textContent,
              name: g.querySelector('text')?.textContent,
              width: box(g.querySelector('text')).width,
            })),
            texts: document.querySelectorAll('text').length,
          };
        });
        assert.equal(drawn.tag, 'svg');
        assert.ok(drawn.width > 400 && drawn.height > 400, `${drawn.width}×${drawn.height}`);
        assert.equal(drawn.title, trace.title);
        // Every lifeline the trace names has a lane (top and bottom), its name drawn.
        const lifelines = new Set(trace.events.flatMap((e) => [e.from, e.to]).filter(Boolean));
        for (const id of lifelines) {
          const lanes = drawn.lanes.filter((l) => l.id === id);
          assert.ok(lanes.length >= 1, `a lane for ${id}`);
          for (const l of lanes) assert.ok(l.name && l.width > 0, `${id}'s lane name is drawn`);
        }
        assert.ok(drawn.texts > trace.events.length / 2, 'labels are drawn');

        mkdirSync(SHOTS, { recursive: true });
        const shot = join(SHOTS, `export-${slug}.svg.png`);
        // The viewport is the drawing's size (Playwright's fullPage needs an HTML body).
        await view.setViewportSize({ width: Math.ceil(drawn.width), height: Math.min(Math.ceil(drawn.height), 8000) });
        const png = await view.screenshot({ path: shot });
        // Not blank: decode the screenshot on a canvas and count pixels that are not white.
        const ink = await view.evaluate(async (src) => {
          const img = new Image();
          img.src = src;
          await img.decode();
          const c = document.createElementNS('http://www.w3.org/1999/xhtml', 'canvas');
          c.width = img.width;
          c.height = img.height;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let dark = 0;
          let tinted = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 128 && d[i + 1] < 128 && d[i + 2] < 128) dark++;
            else if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) tinted++;
          }
          return { pixels: d.length / 4, dark, tinted };
        }, `data:image/png;base64,${png.toString('base64')}`);
        assert.ok(ink.dark > ink.pixels / 500, `text and arrows drawn (${ink.dark} dark of ${ink.pixels})`);
        assert.ok(ink.tinted > ink.pixels / 200, `boxes and lines drawn (${ink.tinted} tinted)`);
        writeFileSync(join(SHOTS, `export-${slug}.svg`), svg);
      } finally {
        await view.close();
        await files.close();
      }
    });
  }

  for (const slug of ['seed', 'ndr-statusrecips', 'dr-on-request', 'no-transport', 'load-10k']) {
    test(`${slug}: reports.mbox reads back in Python as RFC 3464 reports`, async () => {
      const mbox = saved.get(slug)?.dsn;
      assert.ok(mbox, 'the export test saved it');
      const trace = cliTrace(presetPath(slug));
      assert.ok(trace.reports.length > 0, `${slug} has reports`);
      checkDsn(pythonRead(mbox), trace, slug);
    });
  }

  for (const slug of ['seed', 'ndr-statusrecips', 'dr-on-request']) {
    test(`${slug}: a report event's details show its DSN as text`, async () => {
      const file = presetPath(slug);
      const trace = cliTrace(file);
      const messages = mboxMessages(cliRun(file, 'dsn'));
      assert.equal(messages.length, trace.reports.length);
      await openPreset(page, slug, trace.events.length);
      const seqs = [...new Set(trace.reports.map((r) => r.seq))];
      for (const seq of seqs) {
        await scrubTo(page, seq);
        await clickEvent(page, seq);
        const shown = await page.$$eval('[data-testid="details"] pre[data-testid="dsn"]', (pres) => pres.map((p) => p.textContent));
        const want = trace.reports.map((r, k) => (r.seq === seq ? messages[k] : null)).filter((m) => m !== null);
        assert.deepEqual(shown, want, `${slug}: event ${seq} shows the DSN of its reports`);
        for (const dsn of shown) assert.match(dsn, /^Content-Type: multipart\/report; report-type=delivery-status;/m);
      }
      // An event that made no report shows none.
      const other = trace.events.find((e) => !seqs.includes(e.seq) && e.kind === 'call');
      await scrubTo(page, other.seq);
      await clickEvent(page, other.seq);
      assert.equal(await page.locator('[data-testid="details"] [data-testid="dsn"]').count(), 0);
    });
  }

  test('hostile text in a DSN is shown as text, never as markup', async () => {
    const tmp = tempScenario(HOSTILE);
    try {
      const trace = cliTrace(tmp.file);
      const messages = mboxMessages(cliRun(tmp.file, 'dsn'));
      await setEditor(page, HOSTILE);
      await page.waitForFunction((t) => window.__spoolscope.title === t, trace.title);
      await waitReady(page);
      const seq = trace.reports[0].seq;
      await scrubTo(page, seq);
      await clickEvent(page, seq);
      const pre = page.locator('[data-testid="details"] pre[data-testid="dsn"]').first();
      assert.equal(await pre.textContent(), messages[0]);
      assert.match(messages[0], /<script>window.__pwned=1<\/script>/);
      assert.equal(await pre.locator('*').count(), 0, 'the DSN is one text node');
      assert.equal(await page.locator('[data-testid="details"] script, [data-testid="details"] img').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    } finally {
      tmp.remove();
    }
  });
});
