// What a newcomer sees first (issue "What a newcomer meets"): the document title follows the
// scenario; a preset's description is shown once; opening the details panel keeps every lane of
// the diagram in view; the recipient table keeps its key columns in view while it scrolls
// sideways; the sticky lane header is opaque; at 320 px nothing scrolls sideways.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clickEvent, closeSuite, defaultSlug, launch, openPage, openPreset, openSuite, presetText, setEditor, state } from './harness.mjs';

describe('layout', () => {
  let server;
  let browser;
  let page;
  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  test('the document title follows the scenario', async () => {
    const s = await state(page);
    assert.equal(await page.title(), `${s.title} · Spoolscope`);
    await openPreset(page, 'retries');
    const r = await state(page);
    assert.notEqual(r.title, s.title);
    assert.equal(await page.title(), `${r.title} · Spoolscope`);
    await openPreset(page, defaultSlug());
  });

  test("a preset's description is shown once; an edited scenario's above the player", async () => {
    const card = await page.locator(`[data-testid="preset-${defaultSlug()}"]`).textContent();
    assert.equal(await page.locator('.about').count(), 0, 'the card says it; the page does not repeat it');
    const description = /description = "([^"]*)"/.exec(presetText(defaultSlug()))[1];
    assert.ok(card.includes(description), 'the card shows the description');
    await setEditor(page, `${presetText(defaultSlug())}\n# edited`);
    await page.waitForFunction(() => window.__spoolscope.ready && document.querySelector('.about'));
    assert.equal((await page.locator('.about').textContent()).trim(), description);
    await openPreset(page, defaultSlug());
  });

  test('with the details panel open, every lane of the diagram is in view', async () => {
    const total = (await state(page)).total;
    await clickEvent(page, total - 2);
    await page.waitForFunction(() => {
      const box = document.querySelector('.diagram-scroll').getBoundingClientRect();
      return [...document.querySelectorAll('.lane-head')].every((l) => l.getBoundingClientRect().right <= box.right + 0.5);
    }, null, { timeout: 5_000 });
    const lanes = await page.evaluate(() => {
      const box = document.querySelector('.diagram-scroll').getBoundingClientRect();
      return [...document.querySelectorAll('.lane-head')].map((l) => ({
        name: l.textContent,
        inside: l.getBoundingClientRect().left >= box.left && l.getBoundingClientRect().right <= box.right + 0.5,
      }));
    });
    assert.ok(lanes.length >= 4);
    assert.deepEqual(lanes.filter((l) => !l.inside), [], 'every lane header is inside the diagram');
    // The sticky lane header hides what scrolls under it.
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.lanes')).backgroundColor);
    assert.doesNotMatch(bg, /rgba\(.*,\s*0\)|transparent/, `the lane header is opaque (${bg})`);
    await page.keyboard.press('Escape');
  });

  test('scrolled sideways, the recipient table keeps # and name in view', async () => {
    const scroller = page.locator('.recipients-panel .table-scroll');
    await scroller.evaluate((el) => {
      el.scrollLeft = el.scrollWidth;
    });
    const m = await page.evaluate(() => {
      const box = document.querySelector('.recipients-panel .table-scroll').getBoundingClientRect();
      const row = document.querySelector('[data-testid="recipient"]');
      const cell = (col) => row.querySelector(`td[data-col="${col}"]`).getBoundingClientRect();
      const under = (r) => document.elementFromPoint(r.left + 4, r.top + r.height / 2)?.closest('td')?.dataset.col;
      return {
        scrolled: document.querySelector('.recipients-panel .table-scroll').scrollLeft,
        index: cell('index').left - box.left,
        name: cell('name').left - box.left,
        nameOnTop: under(cell('name')),
        text: cell('text').right <= box.right + 0.5,
      };
    });
    assert.ok(m.scrolled > 500, `the table scrolled sideways (${m.scrolled})`);
    assert.ok(Math.abs(m.index) <= 1, `# stays at the left edge (${m.index})`);
    assert.ok(Math.abs(m.name - 38) <= 1, `name stays beside it (${m.name})`);
    assert.equal(m.nameOnTop, 'name', 'nothing scrolls over the name');
    assert.equal(m.text, true, 'the last column (report text) is in view');
  });

  test('at 320 px nothing scrolls sideways', async () => {
    const narrow = await launch({ viewport: { width: 320, height: 800 } });
    try {
      const p = await openPage(narrow.context, server.url);
      const m = await p.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
      assert.ok(m.sw <= m.cw, `page width ${m.sw} at a ${m.cw} px viewport`);
      const head = await p.evaluate(() => {
        const r = (s) => document.querySelector(s).getBoundingClientRect();
        return { title: r('header h1').right, help: r('.help-button').right, width: innerWidth };
      });
      assert.ok(head.title <= head.width && head.help <= head.width, `title and ? on screen: ${JSON.stringify(head)}`);
      await p.screenshot({ path: `${process.env.SPOOLSCOPE_SHOTS || 'web/tests/screenshots'}/layout-320.png`, fullPage: true });
    } finally {
      await narrow.close();
    }
  });
});
