// The keyboard: Tab leaves the editor (it indents only when "Tab indents" is on, and Esc then
// Tab leaves even then), so the controls after it are reached going forward; Space on a focused
// button presses that button rather than the page's play; whatever has focus shows it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeSuite, editorText, openSuite, state, waitStep } from './harness.mjs';

const active = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName, id: el?.dataset?.testid ?? null, outline: el ? getComputedStyle(el).outlineStyle : null };
  });

describe('keyboard', () => {
  let server;
  let browser;
  let page;
  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  test('Tab leaves the editor and nothing is edited; forward Tab reaches the player', async () => {
    const text = await editorText(page);
    const saved = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    await page.focus('[data-testid="editor"]');
    const seen = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const a = await active(page);
      seen.push(a.id ?? a.tag);
      if (a.id === 'step-forward') break;
    }
    assert.notEqual(seen[0], 'editor', 'the first Tab left the editor');
    assert.ok(seen.includes('step-forward'), `Tab reaches the player going forward: ${seen.join(' → ')}`);
    assert.equal(await editorText(page), text, 'the text did not change');
    assert.equal(await page.evaluate(() => JSON.stringify({ ...localStorage })), saved, 'nothing saved');
    assert.equal(await page.locator('.editor .tag').count(), 0, 'not marked edited');
  });

  test('with "Tab indents" on, Tab inserts four spaces, and Esc then Tab still leaves', async () => {
    const toggle = page.locator('[data-testid="tab-indents"]');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const text = await editorText(page);
    await page.focus('[data-testid="editor"]');
    await page.evaluate(() => document.querySelector('[data-testid="editor"]').setSelectionRange(0, 0));
    await page.keyboard.press('Tab');
    assert.equal((await active(page)).id, 'editor', 'Tab stayed in the editor');
    assert.equal(await editorText(page), `    ${text}`, 'four spaces at the caret');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.notEqual((await active(page)).id, 'editor', 'Esc then Tab left');
    assert.equal(await editorText(page), `    ${text}`, 'and inserted nothing');
    await toggle.click(); // back off for the other tests
  });

  test('Space on a focused button presses it, not play; the focus is visible', async () => {
    await page.click('[data-testid="jump-start"]');
    await waitStep(page, 0);
    await page.focus('[data-testid="step-forward"]');
    await page.keyboard.press('Space');
    await waitStep(page, 1);
    const s = await state(page);
    assert.equal(s.playing, false, 'Space pressed the button and did not start playing');
    await page.keyboard.press('Enter');
    await waitStep(page, 2);
    // A keyboard focus is drawn (the page's :focus-visible outline).
    const a = await active(page);
    assert.equal(a.id, 'step-forward');
    assert.notEqual(a.outline, 'none', 'the focused button shows an outline');
  });
});
