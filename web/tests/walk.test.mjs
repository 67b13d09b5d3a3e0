// The guided walk through the seed's six steps, and calls that explain themselves: each
// name of an event's details with its sentence, its Microsoft reference page and its model
// section, which lands on an anchor of the book's model chapter.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clickEvent, cliTrace, closeSuite, DIST, openSuite, presetPath, readRecipients, ROOT, SHOTS, state, waitDetails, waitStep } from './harness.mjs';

const MS = 'https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/';

/** The walk's stop as shown, and the details panel it opened. */
async function shown(page) {
  return page.evaluate(() => {
    const t = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() ?? null;
    const d = document.querySelector('[data-testid="details"]');
    const names = [...(d?.querySelectorAll('.explain .name') ?? [])].map((c) => c.dataset.name);
    const links = [...(d?.querySelectorAll('.explain a') ?? [])].map((a) => ({
      cls: a.className,
      href: a.getAttribute('href'),
      target: a.getAttribute('target'),
    }));
    return { count: t('walk-count'), title: t('walk-title'), text: t('walk-text'), details: d ? Number(d.dataset.seq) : null, names, links };
  });
}

describe('the guided walk and the explanations', () => {
  let suite;
  let page;
  before(async () => {
    suite = await openSuite();
    page = suite.page;
  });
  after(() => closeSuite(suite));

  test('the walk visits the seed’s six steps in order, each with its details and tables', async () => {
    assert.equal((await state(page)).step, 0, 'the page opens at step 0');
    const start = page.locator('[data-testid="walk-start"]');
    assert.match(await start.textContent(), /message submission in this run, 6 stops/);
    await start.click();
    const expected = [
      [17, 'The spooler calls SubmitMessage', 'IXPLogon::SubmitMessage', 'ixplogon-submitmessage', '3.7'],
      [19, 'The transport takes a recipient: PR_RESPONSIBILITY', 'PR_RESPONSIBILITY', 'pidtagresponsibility-canonical-property', '7.1'],
      [21, 'It reports through StatusRecips', 'IMAPISupport::StatusRecips', 'imapisupport-statusrecips', '6.1'],
      [23, 'The reference: *lpulMsgRef', 'IXPLogon::SubmitMessage', 'ixplogon-submitmessage', '3.7'],
      [26, 'EndMessage: the last hand-off', 'IXPLogon::EndMessage', 'ixplogon-endmessage', '3.8'],
      [38, 'A cancel: TransportNotify(NOTIFY_CANCEL_MESSAGE)', 'IXPLogon::TransportNotify', 'ixplogon-transportnotify', '3.4'],
    ];
    for (const [i, [seq, title, name, pageSlug, section]] of expected.entries()) {
      if (i > 0) await page.click('[data-testid="walk-next"]');
      await waitStep(page, seq);
      await waitDetails(page, seq);
      const s = await shown(page);
      assert.equal(s.count, `Stop ${i + 1} of 6`);
      assert.equal(s.title, title);
      assert.equal(s.details, seq, 'the stop opens its event’s details');
      assert.equal(s.names[0], name, `the details explain ${name} first`);
      assert.deepEqual(
        s.links.slice(0, 2),
        [
          { cls: 'ref', href: MS + pageSlug, target: '_blank' },
          { cls: 'model', href: `book/model.html#s${section}`, target: '_blank' },
        ],
      );
      // The diagram's current event is the stop.
      assert.equal(await page.locator(`[data-testid="arrow"][data-seq="${seq}"].current, g.ev.current[data-seq="${seq}"]`).count() > 0, true, `event ${seq} is current`);
      if (seq === 19) {
        const alice = (await readRecipients(page)).find((r) => r.cols.name?.startsWith('Alice'));
        assert.equal(alice.cols.responsibility, 'TRUE', 'the table shows what the stop says');
      }
      if (seq === 21) {
        assert.ok(s.names.includes('NDR') && s.names.includes('DR') && s.names.includes('PR_NDR_REASON_CODE'), s.names.join(' '));
        assert.match(s.text, /DR for Alice, NDR for Nobody/);
      }
      if (seq === 38) {
        assert.ok(s.names.includes('NOTIFY_CANCEL_MESSAGE'), s.names.join(' '));
        assert.match(s.text, /reference 102.*MAPI_E_USER_CANCEL/);
      }
      if (i === 2) await page.screenshot({ path: join(SHOTS, 'walk.png') });
    }
    assert.equal(await page.locator('[data-testid="walk-next"]').textContent(), 'Finish the walk');
    await page.click('[data-testid="walk-back"]');
    await waitStep(page, 26);
    await page.click('[data-testid="walk-next"]');
    await waitStep(page, 38);
    await page.click('[data-testid="walk-next"]');
    await page.locator('[data-testid="walk"]').waitFor({ state: 'detached' });
    assert.equal((await state(page)).step, 38, 'finishing leaves the player at the last stop');
    assert.equal(await page.locator('[data-testid="walk-start"]').count(), 1, 'and the walk can start again');
  });

  test('every call, return and property of the seed opens with what it is, linked to its reference', async () => {
    const trace = cliTrace(presetPath('seed'));
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, trace.events.length);
    const missing = [];
    for (const ev of trace.events.filter((e) => ['call', 'return', 'property'].includes(e.kind))) {
      await clickEvent(page, ev.seq);
      const lead = await page.evaluate(() => {
        const p = document.querySelector('[data-testid="explain-lead"]');
        return p && { name: p.querySelector('.name')?.dataset.name, ref: p.querySelector('a.ref')?.href, model: p.querySelector('a.model')?.getAttribute('href') };
      });
      const wanted = ev.property ?? ev.method;
      if (!lead || !lead.name.endsWith(wanted) || !lead.ref?.startsWith(MS) || !/^book\/model\.html#s\d/.test(lead.model ?? '')) {
        missing.push(`${ev.seq} ${ev.kind} ${wanted}: ${JSON.stringify(lead)}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('a note citing a model section links to it; every section of the model has its anchor in the book', async () => {
    await page.click('[data-testid="jump-end"]');
    await waitStep(page, 42);
    await clickEvent(page, 42);
    const link = page.locator('[data-testid="details"] td a.model');
    assert.equal(await link.textContent(), 'model §9.4');
    assert.equal(await link.getAttribute('href'), 'book/model.html#s9.4');

    const book = readFileSync(join(DIST, 'book/model.html'), 'utf8');
    const model = readFileSync(join(ROOT, 'docs/spec/mapi-transport-model.md'), 'utf8');
    const sections = [...model.matchAll(/^#{2,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)].map((m) => m[1]);
    const questions = [...model.matchAll(/^\* \*\*Q(\d+) /gm)].map((m) => `14-q${m[1]}`);
    assert.ok(sections.length > 60 && questions.length >= 17, `${sections.length} sections, ${questions.length} questions`);
    const missing = [...sections, ...questions].filter((s) => !book.includes(`id="s${s}"`));
    assert.deepEqual(missing, [], 'anchors missing from dist/book/model.html');
    // The citation keys became links to the documentation.
    assert.ok(book.includes(`href="${MS}ixplogon-submitmessage"`), 'a [D:…] key links to its page');
    // The link works from the page: the book is served beside it.
    const res = await page.evaluate(async () => (await fetch('book/model.html')).status);
    assert.equal(res, 200);
  });
});
