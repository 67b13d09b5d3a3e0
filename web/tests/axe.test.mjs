// Accessibility, second part: axe-core (npm, WCAG 2.x rules) finds no violation on the
// playground (light and dark, at the first step and with an event's details open), the embed,
// and the book (a chapter with its players, and with its table of contents open by keyboard).
// Prints the number of rules that passed on each page.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, cliLink, clickEvent, closeSuite, launch, openPage, presetPath, startServer, waitStep } from './harness.mjs';

const AXE = readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const SEED = presetPath('seed');

/** Runs axe on the page (evaluated over the DevTools protocol: the page's CSP allows no inline
 * script, and none is needed) and fails with every violation's rule, impact and nodes. */
async function axeClean(page, what, summary) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], iframes: false }).then((r) => ({
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
      })),
    })),
  );
  summary.push(`${what}: ${r.violations.length} violations, ${r.passes} rules passed`);
  assert.deepEqual(r.violations, [], `axe on ${what}`);
}

describe('axe-core', () => {
  let server;
  let browser;
  const summary = [];
  before(async () => {
    server = await startServer();
    browser = await launch();
  });
  after(async () => {
    console.log(`axe-core ${JSON.parse(readFileSync(resolve(ROOT, 'node_modules/axe-core/package.json'), 'utf8')).version}:`);
    for (const line of summary) console.log(`  ${line}`);
    await closeSuite({ server, browser });
  });

  for (const scheme of ['light', 'dark']) {
    test(`the playground (${scheme}), at a step and with an event's details open`, async () => {
      const page = await browser.context.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${server.url}#preset=seed`);
      await page.waitForFunction(() => window.__spoolscope?.ready === true);
      await page.click('[data-testid="jump-start"]');
      await waitStep(page, 0);
      await page.click('[data-testid="step-forward"]');
      await waitStep(page, 1);
      await axeClean(page, `playground, ${scheme}, step 1`, summary);
      await page.click('[data-testid="jump-end"]');
      await page.waitForFunction(() => window.__spoolscope.step === window.__spoolscope.total);
      const seq = 10; // a SubmitMessage call: its details decode flags and recipients
      await clickEvent(page, seq);
      await axeClean(page, `playground, ${scheme}, details of seq ${seq}`, summary);
      await page.close();
    });
  }

  test('the embed', async () => {
    const page = await openPage(browser.context, cliLink(SEED, { base: server.url, embed: true, view: 'step=5' }));
    await waitStep(page, 5);
    await axeClean(page, 'embed, step 5', summary);
    await page.close();
  });

  test('a book chapter, and its table of contents opened by keyboard', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 700, height: 900 }); // narrow: the contents start hidden
    await page.goto(`${server.url}book/cancellation.html`);
    await page.waitForSelector('iframe');
    await axeClean(page, 'book, cancellation.html', summary);
    const visible = () => page.evaluate(() => document.documentElement.classList.contains('sidebar-visible'));
    const before = await visible();
    await page.focus('#mdbook-sidebar-toggle');
    await page.keyboard.press('Enter');
    await page.waitForFunction((b) => document.documentElement.classList.contains('sidebar-visible') !== b, before);
    assert.equal(
      await page.getAttribute('#mdbook-sidebar-toggle', 'aria-expanded'),
      String(!before),
      'the toggle says whether the contents are shown',
    );
    await axeClean(page, `book, contents ${before ? 'hidden' : 'shown'}`, summary);
    await page.close();
  });
});
