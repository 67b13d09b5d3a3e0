// Every preset opens, runs to its end, and its final tables are the CLI's
// (`spoolscope run web/presets/<slug>.toml --format json`). A screenshot of each final state
// is saved under web/tests/screenshots/<slug>.png.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertFinalRecipients,
  cliTrace,
  closeSuite,
  editorText,
  focusPage,
  openPreset,
  openSuite,
  presetPath,
  presetSlugs,
  presetText,
  readArrows,
  readRecipients,
  readWarnings,
  SHOTS,
  state,
  timeAt,
  waitStep,
} from './harness.mjs';

describe('presets', () => {
  let server;
  let browser;
  let page;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ({ server, browser, page } = await openSuite());
  });
  after(() => closeSuite({ server, browser }));

  test('there are presets', () => {
    assert.ok(presetSlugs().length > 0, 'web/presets/*.toml is empty');
  });

  for (const slug of presetSlugs()) {
    test(`preset ${slug}: opens, runs to the end, final tables match the CLI`, async () => {
      const trace = cliTrace(presetPath(slug));
      const total = trace.events.length;
      await openPreset(page, slug, total);
      const s0 = await state(page);
      assert.equal(s0.title, trace.title, 'title');
      assert.equal((await editorText(page)).trimEnd(), presetText(slug).trimEnd(), 'the editor holds the preset');

      await page.click('[data-testid="jump-end"]');
      await waitStep(page, total);
      const s = await state(page);
      assert.match(s.stepText, new RegExp(`^${total}\\s*/\\s*${total}$`));
      assert.equal(s.time, timeAt(trace, total), 'virtual time at the end');
      assert.equal(s.scrubValue, total, 'scrubber at the end');

      assertFinalRecipients(await readRecipients(page), trace, { all: trace.recipients.length <= 200 });

      const warned = [...new Set(trace.warnings.map((w) => w.seq))].sort((a, b) => a - b);
      const shown = [...new Set(await readWarnings(page))].sort((a, b) => a - b);
      assert.deepEqual(shown, warned, 'warnings (their steps)');

      const arrows = await readArrows(page);
      assert.ok(arrows.length > 0, 'the diagram has arrows');
      assert.ok(arrows.some((a) => a.seq === total && a.current), 'the last event is drawn and highlighted at the end');

      await focusPage(page);
      await page.screenshot({ path: join(SHOTS, `${slug}.png`), fullPage: true });
      assert.deepEqual(page.consoleErrors, [], 'no console errors');
    });
  }

  test('play runs a preset to its end and stops', async () => {
    const slug = presetSlugs().includes('seed') ? 'seed' : presetSlugs()[0];
    const trace = cliTrace(presetPath(slug));
    const total = trace.events.length;
    await openPreset(page, slug, total);
    // the fastest speed: the option whose label (else value) has the largest number
    const speeds = await page.$$eval('[data-testid="speed"] option', (os) =>
      os.map((o) => ({ value: o.value, n: parseFloat(o.textContent) || parseFloat(o.value) || 0 })),
    );
    const fastest = speeds.reduce((best, o) => (o.n > best.n ? o : best), speeds[0]).value;
    await page.selectOption('[data-testid="speed"]', fastest);
    await page.click('[data-testid="jump-start"]');
    await waitStep(page, 0);
    await page.click('[data-testid="play"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') === 'true',
    );
    await waitStep(page, total, 120_000);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') !== 'true',
      null,
      { timeout: 5_000 },
    );
    assertFinalRecipients(await readRecipients(page), trace, { all: trace.recipients.length <= 200 });
  });
});
