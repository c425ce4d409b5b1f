// The cell product in a real browser, issue 17's "Done when" (run by
// crates/web/tests/web/browser_product.rs, on SQLite and on PostgreSQL, which sets up the
// accounts, the participant's dispensed kit, the product definition, the bank, the lot and its
// first two units, and writes the data file). Through the pages only: QC labels two more units
// and enters and signs every release result; the qualified person releases the lot, signed (a
// wrong password refused first); QC ships the units and signs the dispatch; the pharmacist
// signs the receipt and imports the logger file (a bad copy refused naming its line), whose
// excursion shows with start, duration and peak; the qualified person decides on it, signed;
// at the bedside the pharmacist scans the kit with a unit of the wrong treatment (refused, the
// reason in Chinese), then the right one, and records thaw, preparation and injection; two
// blinded users walk the product's pages and never learn which units were placebo; the trace
// from the lot lists the participant. Exits non-zero on the first failure. The pages' own
// content security policy stays on.
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

// A local date and time `minutes` ago, as a datetime-local input takes it.
function localTime(minutes, from) {
  const d = new Date((from === undefined ? Date.now() : from) - minutes * 60000);
  const two = function (n) { return String(n).padStart(2, '0'); };
  return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + 'T' + two(d.getHours()) + ':' + two(d.getMinutes());
}

// Submits `form` (a selector) and waits for the page to be shown again.
async function submitAndReload(page, form) {
  await Promise.all([page.waitForNavigation(), page.click(form + ' button[type="submit"]')]);
}

// Submits `form` and waits for its alert to say something: the refusal's text.
async function submitRefused(page, form) {
  await page.click(form + ' button[type="submit"]');
  await page.waitForSelector(form + ' [role="alert"]:not(:empty)');
  return (await page.textContent(form + ' [role="alert"]')).trim();
}

// The bedside's administration form, scanned and filled: thawed and injected so many minutes
// ago, 10 million cells in 5 mL for 70 kg.
// The participant's day 1 (the anchor date the test enrolled them with), at noon: the dose is
// given on its visit's day, in its window.
const DOSING_DAY = new Date(data.dosingDay + 'T12:00:00').getTime();

async function administration(page, thawed, injected) {
  await page.selectOption('#administer select[name="participant"]', String(data.participant));
  await page.fill('#administer input[name="kit_number"]', data.kit);
  await page.fill('#administer input[name="unit"]', data.rightUnit);
  await page.fill('#administer input[name="thawed_at"]', localTime(thawed, DOSING_DAY));
  await page.fill('#administer input[name="dose_cells"]', '10000000');
  await page.fill('#administer input[name="volume_ml"]', '5');
  await page.fill('#administer input[name="weight_kg"]', '70');
  await page.fill('#administer input[name="injected_at"]', localTime(injected, DOSING_DAY));
}

// What a blinded user must never get: a unit's treatment, its kit, in text or attributes.
async function blind(page, who, where) {
  const html = (await page.content()).toLowerCase();
  for (const leak of ['placebo', '安慰剂', 'data-treatment', 'data-kit', data.kit.toLowerCase()]) {
    check(!html.includes(leak), who + ' (blinded) on ' + where + ': no ' + JSON.stringify(leak));
  }
  // Every unit's row in the same state is the same, its label aside.
  const rows = await page.$$eval('tr[data-unit]', function (trs) {
    return trs.map(function (tr) {
      const label = tr.querySelector('[data-label]').dataset.label;
      const din = tr.querySelector('[data-din]').textContent;
      const check = tr.querySelector('[data-check]').textContent;
      return {
        status: tr.querySelector('[data-unit-status]').dataset.unitStatus,
        html: tr.innerHTML.split(label).join('LABEL').split(din).join('DIN')
          .split('<span data-check="">' + check + '</span>').join('CHECK')
          .split('<span data-check>' + check + '</span>').join('CHECK'),
      };
    });
  });
  const available = rows.filter(function (r) { return r.status === 'available'; });
  if (rows.length) {
    check(available.length >= 2 && available.every(function (r) { return r.html === available[0].html; }),
      who + ' on ' + where + ': the ' + available.length + ' available units look alike');
  }
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

  // QC lands on the product's pages, labels two units (one placebo, labelled alike).
  await login(page, data.qc);
  check(page.url().endsWith(data.product), 'QC lands on the product page: ' + page.url());
  await page.click('a[href="' + data.lot + '"]');
  for (const u of data.newUnits) {
    await page.fill('#add-unit input[name="din"]', u.din);
    await page.fill('#add-unit input[name="check_character"]', u.check_character);
    await page.fill('#add-unit input[name="product_code"]', u.product_code);
    await page.setChecked('#add-unit input[name="placebo"]', u.placebo);
    await submitAndReload(page, '#add-unit');
  }
  check(await page.locator('tr[data-unit]').count() === 4, 'the lot has four units');
  check(await page.locator('[data-treatment="placebo"]').count() === 2, 'QC sees the two placebo units');
  const labels = await page.$$eval('tr[data-unit] [data-label]', function (ls) { return ls.map(function (l) { return l.textContent.trim(); }); });
  check(labels.every(function (l) { return /^G123426\d{6} [0-9A-Z*] E1234V00$/.test(l); }), 'each label shows DIN, check character and product code: ' + labels.join(' | '));

  // QC enters and signs each release result.
  for (const [test, value] of data.results) {
    await page.selectOption('#release-result select[name="test_id"]', test);
    await page.fill('#release-result input[name="value"]', value);
    await page.fill('#release-result input[name="password"]', data.password);
    await submitAndReload(page, '#release-result');
  }
  check(await page.locator('[data-verdict="pass"]').count() === data.results.length, 'every result passes, signed');
  await logout(page);

  // The qualified person releases the lot, signed; a wrong password is refused.
  await login(page, data.qp);
  check(page.url().endsWith(data.product), 'the qualified person lands on the product page');
  await page.goto(BASE + data.lot);
  await page.selectOption('#lot-decision select[name="decision"]', 'release');
  await page.fill('#lot-decision input[name="password"]', 'wrong-password');
  const refused = await submitRefused(page, '#lot-decision');
  check(refused.length > 0, 'a wrong password is refused: ' + refused);
  await page.fill('#lot-decision input[name="password"]', data.password);
  await submitAndReload(page, '#lot-decision');
  check(await page.getAttribute('h1 [data-lot-state]', 'data-lot-state') === 'released', 'the lot is released');
  check(await page.locator('[data-decision="release"]').count() === 1, 'the signed decision is shown');
  await logout(page);

  // QC ships the four units to the site and signs the dispatch.
  await login(page, data.qc);
  for (const box of await page.$$('#product-shipment input[name="unit_ids"]')) await box.check();
  await page.fill('#product-shipment input[name="shipper"]', 'DS-7');
  await submitAndReload(page, '#product-shipment');
  const shipment = await page.getAttribute('tr[data-shipment] a', 'href');
  check(!!shipment, 'the shipment is listed: ' + shipment);
  await page.goto(BASE + shipment);
  check(await page.locator('tr[data-unit]').count() === 4, 'the shipment carries four units');
  await page.fill('#handover input[name="from"]', 'Suzhou dispatch');
  await page.fill('#handover input[name="place"]', 'Suzhou');
  await page.fill('#handover input[name="at"]', localTime(180));
  await page.fill('#handover input[name="password"]', data.password);
  await submitAndReload(page, '#handover');
  check(await page.locator('tr[data-handover]').count() === 1, 'the dispatch is signed by QC');
  await logout(page);

  // The pharmacist signs the receipt and imports the logger file.
  await login(page, data.pharmacist);
  await page.goto(BASE + shipment);
  await page.fill('#handover input[name="from"]', 'Courier Wang');
  await page.fill('#handover input[name="place"]', 'Pharmacy');
  await page.fill('#handover input[name="at"]', localTime(120));
  await page.fill('#handover input[name="password"]', data.password);
  await submitAndReload(page, '#handover');
  check(await page.getAttribute('h1 [data-shipment-state]', 'data-shipment-state') === 'received', 'the pharmacist\'s signature is the receipt');
  await page.fill('#logger-import textarea[name="file"]', data.badLogger);
  const bad = await submitRefused(page, '#logger-import');
  check(/line 4/.test(bad), 'a bad logger file is refused naming its line: ' + bad);
  check(await page.locator('tr[data-excursion]').count() === 0, 'nothing of the refused file is stored');
  await page.fill('#logger-import textarea[name="file"]', '');
  await page.setInputFiles('#logger-import input[type="file"]', data.loggerFile);
  for (let i = 0; i < 50 && !(await page.inputValue('#logger-import textarea')).includes('Timestamp'); i++) {
    await page.waitForTimeout(100);
  }
  await submitAndReload(page, '#logger-import');
  const excursion = page.locator('tr[data-excursion]');
  check(await excursion.count() === 1, 'the file\'s excursion is found');
  check(await excursion.locator('[data-start] time').count() === 1, 'with its start: ' + (await excursion.locator('[data-start]').textContent()).trim());
  check(Number((await excursion.locator('[data-minutes]').textContent()).trim()) > 0, 'its duration in minutes: ' + (await excursion.locator('[data-minutes]').textContent()).trim());
  check((await excursion.locator('[data-peak]').textContent()).trim() === '-143.8', 'and its peak, -143.8 °C');
  check(await page.locator('[data-held]').count() >= 1, 'the units are held until a decision');
  await logout(page);

  // The qualified person's documented decision, signed.
  await login(page, data.qp);
  await page.goto(BASE + shipment);
  await page.selectOption('form[data-excursion-form] select[name="decision"]', 'use');
  await page.fill('form[data-excursion-form] input[name="reason"]', '10 minutes above -150 °C, peak -143.8 °C: within the stability data');
  await page.fill('form[data-excursion-form] input[name="password"]', data.password);
  await submitAndReload(page, 'form[data-excursion-form]');
  check(await page.locator('[data-excursion-decision="use"]').count() === 1, 'the excursion is decided: use');
  await logout(page);

  // At the bedside: the kit with a unit of the wrong treatment is refused, in Chinese.
  await login(page, data.pharmacist);
  await page.goto(BASE + data.product);
  await Promise.all([page.waitForNavigation(), page.click('[data-bedside-link]')]);
  await Promise.all([page.waitForNavigation(), page.click('a[lang="zh-Hans"]')]);
  await page.fill('#link-unit input[name="kit_number"]', data.kit);
  await page.fill('#link-unit input[name="unit"]', data.wrongUnit);
  await page.press('#link-unit input[name="unit"]', 'Enter');
  await page.waitForSelector('#link-unit [role="alert"]:not(:empty)');
  const wrong = (await page.textContent('#link-unit [role="alert"]')).trim();
  check(/[\u4e00-\u9fff]/.test(wrong) && wrong.includes(data.wrongUnit), 'a unit of the wrong treatment is refused, the reason in Chinese: ' + wrong);
  await Promise.all([page.waitForNavigation(), page.click('a[lang="en"]')]);
  // The scanner types the kit, then the unit, each ended by Enter.
  await page.fill('#link-unit input[name="kit_number"]', data.kit);
  await page.fill('#link-unit input[name="unit"]', data.rightUnit);
  await Promise.all([page.waitForNavigation(), page.press('#link-unit input[name="unit"]', 'Enter')]);
  check(await page.textContent('#link-unit [role="alert"]') === '', 'the right unit is linked to the kit');
  // Thaw, preparation, hand-over to the blinded injector, injection.
  await administration(page, 40, 5);
  await page.selectOption('#administer select[name="puncture_level"]', 'L3-L4');
  await submitAndReload(page, '#administer');
  await page.goto(BASE + data.recipient);
  check(await page.locator('tr[data-administration]').count() === 1, 'the administration is recorded');
  check((await page.textContent('tr[data-administration]')).includes(data.rightUnit), 'the pharmacist sees the unit given');
  // The same unit again is refused: it was used.
  await page.goto(BASE + data.bedside);
  await administration(page, 30, 2);
  const used = await submitRefused(page, '#administer');
  check(/used/.test(used), 'a used unit is refused with the reason: ' + used);
  await logout(page);

  // Blinded users walk the product's pages: no treatment, no kit, units alike; the trace
  // from the lot lists the participant.
  for (const who of data.blinded) {
    await login(page, who);
    await page.goto(BASE + data.product);
    await blind(page, who, 'the product page');
    await page.click('a[href="' + data.lot + '"]');
    await blind(page, who, 'the lot');
    await page.goto(BASE + shipment);
    await blind(page, who, 'the shipment');
    await page.goto(BASE + data.trace);
    await blind(page, who, 'the lot\'s trace');
    check(await page.locator('tr[data-recipient="' + data.participant + '"]').count() === 1, who + ': the trace from the lot lists the participant');
    await page.click('tr[data-recipient="' + data.participant + '"] a');
    await blind(page, who, 'the participant\'s product');
    check(await page.locator('tr[data-administration] [data-donor]').textContent() === 'D-0042', who + ': the participant traces back to the donor');
    const bedside = await page.goto(BASE + data.bedside);
    check(bedside.status() === 403, who + ': the bedside is the unblinded pharmacist\'s');
    await page.goto(BASE + data.product);
    await Promise.all([page.waitForNavigation(), page.click('a[data-exposure-link]')]);
    await blind(page, who, 'the exposure');
    check(await page.locator('tr[data-exposed="' + data.participant + '"]').count() === 1, who + ': the exposure lists the participant, not the unit');
    await logout(page);
  }

  check(pageErrors.length === 0, 'no script errors: ' + pageErrors.join('; '));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) {
  console.error('FAIL (' + data.database + '): ' + e.message);
  process.exit(1);
});
