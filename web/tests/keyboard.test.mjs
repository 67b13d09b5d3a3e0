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

describe('keyboard: the help dialog, the player names, the diagram', () => {
  let server;
  let browser;
  let page;
  before(async () => ({ server, browser, page } = await openSuite()));
  after(() => closeSuite({ server, browser }));

  test('the help is a real modal: focus moves in and stays; Home does not move the player; Esc returns to ?', async () => {
    await page.click('[data-testid="jump-start"]');
    await waitStep(page, 0);
    await page.focus('.help-button');
    await page.keyboard.press('Enter');
    const help = page.locator('[data-testid="help"]');
    await help.waitFor({ state: 'visible' });
    const inside = () => page.evaluate(() => !!document.activeElement?.closest('dialog[open]'));
    assert.ok(await inside(), 'focus moved into the help');
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await inside(), `Tab ${i + 1} stayed inside the help`);
    }
    await page.keyboard.press('Shift+Tab');
    assert.ok(await inside(), 'Shift+Tab stayed inside the help');
    await page.keyboard.press('End');
    assert.equal((await state(page)).step, 0, 'End inside the help did not move the player behind it');
    // A modal dialog: the page behind it is inert (the browser's top layer).
    assert.equal(await page.evaluate(() => document.querySelector('dialog').matches(':modal')), true);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('help-button')), true, 'focus is back on ?');
    assert.equal((await state(page)).step, 0);
    // The close button and the backdrop close it too.
    await page.keyboard.press('?');
    await help.waitFor({ state: 'visible' });
    await page.click('[data-testid="help"] button.close');
    await help.waitFor({ state: 'detached' });
    await page.keyboard.press('?');
    await help.waitFor({ state: 'visible' });
    await page.mouse.click(3, 3);
    await help.waitFor({ state: 'detached' });
  });

  test('every player button has a name, not a glyph', async () => {
    const names = await page.evaluate(() =>
      [...document.querySelectorAll('.player button')].map((b) => b.getAttribute('aria-label')),
    );
    assert.deepEqual(names, ['Jump to the start', 'Step back', 'Play', 'Step forward', 'Jump to the end']);
    assert.equal(await page.locator('.help-button').getAttribute('aria-label'), 'Help and keyboard shortcuts');
  });

  test('the diagram is one tab stop; ↑ ↓ move between its events and Enter opens their details', async () => {
    await page.click('[data-testid="jump-end"]');
    // The end's frame comes from the worker: wait until it is drawn before walking to it.
    const end = (await state(page)).total;
    await waitStep(page, end);
    await page.locator(`g.ev[data-seq="${end}"][tabindex="0"]`).waitFor({ state: 'attached' });
    await page.focus('[data-testid="step-forward"]');
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el?.matches('g.ev') ? { seq: Number(el.dataset.seq), name: el.querySelector('title')?.textContent } : null;
      });
    let ev = null;
    for (let i = 0; i < 20 && !ev; i++) {
      await page.keyboard.press('Tab');
      ev = await focused();
    }
    assert.ok(ev, 'Tab from the player reaches an event of the diagram');
    const total = (await state(page)).total;
    assert.equal(ev.seq, total, 'the tab stop is the current event');
    assert.match(ev.name, new RegExp(`^${total} `), `its name starts with its step: ${ev.name}`);
    await page.keyboard.press('ArrowUp');
    const up = await focused();
    assert.equal(up?.seq, total - 1, '↑ moves to the event drawn above');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused())?.seq, total - 1, '↓ moves back down');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="details"]').waitFor({ state: 'visible' });
    assert.equal(
      await page.locator(`g.ev[data-seq="${total - 1}"]`).getAttribute('aria-expanded'),
      'true',
      'the event says its details are open',
    );
    // Only one event is in the tab order.
    assert.equal(await page.locator('g.ev[tabindex="0"]').count(), 1);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="details"]').waitFor({ state: 'detached' });
  });
});
