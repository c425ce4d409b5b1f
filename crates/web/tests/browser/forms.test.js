// The eCRF form pages in a real browser (run by crates/web/tests/web/browser_forms.rs, which
// starts the server over Phase II with an enrolled participant and writes the data file): the
// coordinator fills a SCIM III form from the visit timeline and the live scores are the study's;
// a bad vital sign is shown at its field and not saved; the monitor raises a query from a field;
// the data manager locks the visit. Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the forms browser test took over 2 minutes'); process.exit(1); }, 120000);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

async function login(browser, username) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', data.password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
  return { context, page };
}

async function text(page, selector) {
  return (await page.locator(selector).textContent() || '').trim();
}

const pageErrors = [];

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });

  // The coordinator opens SCIM III from the visit timeline and scores it.
  const crc = await login(browser, 'crc');
  let page = crc.page;
  await page.goto(BASE + data.participantPath);
  await Promise.all([page.waitForNavigation(), page.click('a[href="' + data.scimLink + '"]')]);
  check(page.url().endsWith(data.scimPath), 'the timeline link opens the SCIM III page: ' + page.url());
  // The items in the order of the instrument: [id, score].
  for (let i = 0; i < data.scim.length; i++) {
    await page.selectOption('select[name="' + data.scim[i][0] + '"]', data.scim[i][1]);
    if (i === 5) {
      // The self-care items are all scored: their subscale shows, the total not yet.
      await page.waitForFunction(function (v) {
        return document.querySelector('[data-result="self_care_subscale"]').textContent === v;
      }, String(data.expected.self_care_subscale));
      check(await text(page, '[data-result="total"]') === '', 'no total before every item is scored');
    }
  }
  await page.waitForFunction(function (v) {
    return document.querySelector('[data-result="total"]').textContent === v;
  }, String(data.expected.total));
  for (const key of ['self_care_subscale', 'respiration_sphincter_subscale', 'mobility_subscale', 'total']) {
    check(await text(page, '[data-result="' + key + '"]') === String(data.expected[key]), 'the live ' + key + ' is the study\'s: ' + data.expected[key]);
  }
  await page.screenshot({ path: path.join(SHOTS, 'ecrf-scim3.png'), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('button[data-save="complete"]')]);
  check(await page.locator('[data-form-state].complete').count() === 1, 'the SCIM III form is saved complete');
  // A change to saved data asks for its reason.
  await page.selectOption('select[name="feeding"]', '3');
  await page.waitForFunction(function (v) {
    return document.querySelector('[data-result="total"]').textContent === v;
  }, String(data.expected.total + 3 - Number(data.scim[0][1])));
  await page.click('button[data-save="complete"]');
  check(await page.locator('#reason-dialog[open]').count() === 1, 'changing saved data asks for the reason');
  await page.fill('#reason', 'Transcription error: the source says independent feeding.');
  await Promise.all([page.waitForNavigation(), page.click('#reason-ok')]);
  check(await page.locator('select[name="feeding"] option[value="3"]').evaluate(function (o) { return o.selected; }), 'the change is saved');

  // A bad vital sign is shown at its field, live and on saving, and nothing is saved.
  await page.goto(BASE + data.vitalsPath);
  await page.fill('input[name="systolic_bp"]', '110');
  await page.fill('input[name="diastolic_bp"]', '120');
  await page.waitForFunction(function () { return document.getElementById('e-diastolic_bp').textContent.length > 0; });
  check(await page.getAttribute('input[name="diastolic_bp"]', 'aria-invalid') === 'true', 'the diastolic pressure is marked at its field: ' + await text(page, '#e-diastolic_bp'));
  check(await text(page, '#e-systolic_bp') === '', 'the systolic pressure is not marked');
  for (const [name, value] of Object.entries(data.vitals)) {
    if (name !== 'diastolic_bp' && name !== 'systolic_bp') await page.fill('[name="' + name + '"]', String(value));
  }
  await page.click('button[data-save="complete"]');
  await page.waitForFunction(function () { return document.getElementById('save-status').textContent.length > 0 && !/…/.test(document.getElementById('save-status').textContent); });
  check((await text(page, '#e-diastolic_bp')).length > 0, 'saving is refused with the problem at the field');
  await page.screenshot({ path: path.join(SHOTS, 'ecrf-vitals-error.png'), fullPage: true });
  await page.fill('input[name="diastolic_bp"]', String(data.vitals.diastolic_bp));
  await page.waitForFunction(function () { return document.getElementById('e-diastolic_bp').textContent === ''; });
  await Promise.all([page.waitForNavigation(), page.click('button[data-save="complete"]')]);
  check(await page.locator('[data-form-state].complete').count() === 1, 'corrected, the vital signs are saved');
  await crc.context.close();

  // The monitor raises a query from the bladder item.
  const mon = await login(browser, 'mon');
  page = mon.page;
  await page.goto(BASE + data.scimPath);
  const field = page.locator('[data-field="bladder"]');
  await field.locator('details.raise-query summary').click();
  await field.locator('textarea[name="text"]').fill('Bladder score against the nursing notes?');
  await Promise.all([page.waitForNavigation(), field.locator('form[data-query-for="bladder"] button[type="submit"]').click()]);
  check(await page.locator('[data-query-at="bladder"]').count() === 1, 'the query shows at its field');
  await page.screenshot({ path: path.join(SHOTS, 'ecrf-query.png'), fullPage: true });
  await mon.context.close();

  // The data manager locks the whole visit.
  const dm = await login(browser, 'dm');
  page = dm.page;
  await page.goto(BASE + data.scimPath);
  await Promise.all([page.waitForNavigation(), page.click('button[data-action="lock-visit"]')]);
  check(await page.locator('[data-locked]').count() === 1, 'the form is locked');
  check(await page.locator('[data-form-state].locked').count() === 1, 'its state says so');
  check(await page.locator('form.unlock').count() === 1, 'the data manager may unlock it with a reason');
  check(await page.locator('form.unlock-visit').count() === 1, 'or unlock the whole visit with a reason');
  check(await page.locator('button[data-action="lock-visit"]').count() === 0, 'nothing of the visit is left to lock');
  // Unlocked with one reason, the whole visit; then locked again.
  await page.fill('#unlock-visit-reason', 'The query on bladder needs a correction.');
  await Promise.all([page.waitForNavigation(), page.click('button[data-action="unlock-visit"]')]);
  check(await page.locator('[data-locked]').count() === 0, 'the visit is unlocked with its reason');
  await Promise.all([page.waitForNavigation(), page.click('button[data-action="lock-visit"]')]);
  check(await page.locator('[data-locked]').count() === 1, 'and locked again');
  await page.goto(BASE + data.vitalsPath);
  check(await page.locator('[data-form-state].locked').count() === 1, 'the visit\'s other form is locked too');
  await page.goto(BASE + data.tablePath + '?state=locked');
  check(await page.locator('tr[data-state="locked"]').count() === 2, 'the table of forms lists both as locked');
  await page.screenshot({ path: path.join(SHOTS, 'ecrf-table.png'), fullPage: true });
  await dm.context.close();

  check(pageErrors.length === 0, 'no script errors: ' + pageErrors.join('; '));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
