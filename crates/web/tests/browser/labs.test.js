// Laboratory results in a real browser (run by crates/web/tests/web/browser_labs.rs, which
// starts the server, loads the normal ranges and writes the data file): the coordinator
// previews a central lab's file (each row's flag and grade shown, nothing saved), imports it,
// sees the same file again change nothing, enters a value by hand and sees an implausible one
// refused naming the test, and enters an MRI read on its eCRF page; the participant's page
// shows the low value's flag and CTCAE grade; the investigator turns the proposal into a graded
// adverse event; the DSMB statistician's page shows the worst grades by arm (the event's term
// at grade 3, and the lab value's). Exits non-zero on the first failure. The pages' own content
// security policy stays on.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const stopper = setTimeout(function () { console.error('FAIL: the browser test took over 3 minutes'); process.exit(1); }, 180000);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

async function login(page, username) {
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', data.password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
}

async function logout(page) {
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', function (e) { pageErrors.push(String(e)); });
  page.setDefaultTimeout(15000);

  // The coordinator previews the file: every row with its flag and grade, nothing saved.
  await login(page, data.crc);
  await page.goto(BASE + data.studyLabs);
  await page.fill('#lab-import textarea[name="file"]', data.file);
  await page.click('#lab-import button[type="submit"]');
  await page.waitForSelector('#import-preview tr[data-line="2"]');
  const flag = await page.getAttribute('#import-preview tr[data-line="2"] [data-flag]', 'data-flag');
  const grade = await page.getAttribute('#import-preview tr[data-line="2"] [data-grade]', 'data-grade');
  check(flag === 'low' && grade === '3', 'the preview shows line 2 low, grade 3: ' + flag + ' ' + grade);
  await page.goto(BASE + data.participantLabs);
  check(await page.locator('[data-lab]').count() === 0, 'a preview saves nothing');

  // A bad row refuses the whole file, naming its line and field.
  await page.goto(BASE + data.studyLabs);
  await page.fill('#lab-import textarea[name="file"]', data.badFile);
  await page.uncheck('#lab-import input[name="preview"]');
  await page.click('#lab-import button[type="submit"]');
  await page.waitForSelector('#lab-import [role="alert"]:has-text("line 3: value")');
  check(true, 'a bad file is refused naming line 3: value');

  // Imported, then the same file again changes nothing.
  await page.fill('#lab-import textarea[name="file"]', data.file);
  await page.click('#lab-import button[type="submit"]');
  await page.waitForSelector('#lab-import [data-import-status]:has-text("(2)")');
  check((await page.textContent('#lab-import [data-import-status]')).startsWith('Imported'), 'the file is imported');
  await page.click('#lab-import button[type="submit"]');
  await page.waitForSelector('#lab-import [data-import-status]:has-text("before")');
  check(true, 'the same file again changes nothing: ' + await page.textContent('#lab-import [data-import-status]'));

  // The participant's values: the low neutrophils flagged, graded and proposing an event.
  await page.goto(BASE + data.participantLabs);
  check(await page.locator('[data-lab]').count() === 2, 'the two imported values are listed');
  const row = page.locator('tr[data-test="NEUT"]');
  check(await row.locator('[data-flag]').getAttribute('data-flag') === 'low', 'the neutrophils are flagged low');
  check(await row.locator('[data-grade]').getAttribute('data-grade') === '3', 'and graded 3 by CTCAE');
  check((await row.textContent()).includes('Neutrophil count decreased'), 'with the CTCAE term');
  check(await row.locator('[data-proposal-state="open"]').count() === 1, 'proposing an adverse event');
  check(await page.locator('form[data-accept]').count() === 0, 'the coordinator may not accept it');

  // The coordinator enters a value by hand; an implausible one is refused naming the test.
  await page.selectOption('#lab-entry select[name="test"]', 'HGB');
  await page.fill('#lab-entry input[name="collected_at"]', data.collectedAt);
  await page.fill('#lab-entry input[name="value"]', '45');
  await page.fill('#lab-entry input[name="unit"]', 'g/dL');
  await page.click('#lab-entry button[type="submit"]');
  await page.waitForSelector('#lab-entry [role="alert"]:has-text("HGB")');
  check((await page.textContent('#lab-entry [role="alert"]')).startsWith('value: '), 'an implausible value is refused naming the test');
  await page.fill('#lab-entry input[name="value"]', '14.2');
  await Promise.all([page.waitForNavigation(), page.click('#lab-entry button[type="submit"]')]);
  check(await page.locator('[data-lab]').count() === 3, 'the entered value is listed');
  check(await page.locator('tr[data-test="HGB"] [data-flag="normal"]').count() === 1, 'and flagged normal');

  // The coordinator enters the MRI read on its eCRF page.
  await page.goto(BASE + data.mriPath);
  for (const [name, value] of Object.entries(data.mri)) {
    const field = page.locator('[name="' + name + '"]');
    if (await field.evaluate(function (el) { return el.tagName === 'SELECT'; })) await field.selectOption(value);
    else await field.fill(value);
  }
  await Promise.all([page.waitForNavigation(), page.click('button[data-save="complete"]')]);
  check(await page.locator('[data-form-state].complete').count() === 1, 'the MRI read is saved complete');
  check(await page.inputValue('[name="lesion_length_mm"]') === '18.5', 'with its lesion length');
  await logout(page);

  // The investigator turns the proposal into a graded adverse event.
  await login(page, data.investigator);
  await page.goto(BASE + data.participantLabs);
  await page.fill('form[data-accept] input[name="verbatim"]', 'neutropenia on the central lab count');
  await page.selectOption('form[data-accept] select[name="causality_product"]', 'possible');
  await Promise.all([page.waitForNavigation(), page.click('form[data-accept] button[type="submit"]')]);
  check(await page.locator('tr[data-test="NEUT"] [data-proposal-state="accepted"]').count() === 1, 'the proposal is recorded');
  await Promise.all([page.waitForNavigation(), page.click('tr[data-test="NEUT"] a[data-ae-link]')]);
  const event = await page.content();
  check(event.includes('Neutrophil count decreased'), 'the adverse event page shows the term');

  // Both languages: the Chinese page names the flag in Chinese.
  await page.goto(BASE + '/language/zh?next=' + encodeURIComponent(data.participantLabs));
  check((await page.getAttribute('html', 'lang')) === 'zh-Hans', 'the page is in Chinese');
  check((await page.textContent('tr[data-test="NEUT"] [data-flag]')).trim() === '偏低', 'the flag is named in Chinese');
  await context.close();

  // The DSMB statistician (unblinded) sees the tables by arm: the event at grade 3 in the
  // participant's arm, and the lab value's worst grade.
  const dsmbContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const dsmb = await dsmbContext.newPage();
  dsmb.on('pageerror', function (e) { pageErrors.push(String(e)); });
  dsmb.setDefaultTimeout(15000);
  await login(dsmb, data.dsmb);
  await dsmb.goto(BASE + data.dsmbPage);
  check(await dsmb.locator('[data-grouping="arm"]').count() === 1, 'the DSMB tables are by arm');
  const headers = await dsmb.locator('table[data-table="terms"] thead th').allTextContents();
  const armColumn = headers.findIndex(function (h) { return data.arms.includes(h.trim()); });
  check(armColumn >= 2, 'a column of the participant\'s arm: ' + headers.join(' | '));
  const termRow = dsmb.locator('table[data-table="terms"] tr', { hasText: 'Neutrophil count decreased' });
  const cells = await termRow.locator('td, th').allTextContents();
  check(cells[armColumn].trim() === '1 (G3: 1)', 'the event at grade 3 in that arm: ' + cells.join(' | '));
  const labRow = dsmb.locator('table[data-table="lab-terms"] tr', { hasText: 'Neutrophil count decreased' });
  const labCells = await labRow.locator('td').allTextContents();
  check(labCells.some(function (c) { return c.trim() === '1 (G3: 1)'; }), 'the lab value\'s worst grade 3: ' + labCells.join(' | '));
  const worst3 = await dsmb.locator('table[data-table="lab-worst"] tr[data-worst="3"] td').allTextContents();
  check(worst3.some(function (c) { return c.trim() === '1'; }), 'one participant whose worst lab grade is 3: ' + worst3.join(' | '));
  await dsmbContext.close();
  check(pageErrors.length === 0, 'no script errors: ' + pageErrors.join('; '));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) {
  console.error('FAIL: ' + e.message);
  process.exit(1);
});
