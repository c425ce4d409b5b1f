// The DSMB's page in a real browser (run by crates/web/tests/web/browser_dsmb.rs, which starts
// the server over the demo's two studies and writes the data file). The DSMB member sees the
// Phase II tables by arm and records a signed decision on the Phase I stopping rule; a blinded
// user sees only pooled tables. Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the DSMB browser test took over 2 minutes'); process.exit(1); }, 120000);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

async function login(page, username, password) {
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
}

async function groupHeaders(page) {
  return page.$$eval('table[data-table="summary"] th[data-group]', function (els) {
    return els.map(function (e) { return e.textContent.trim(); });
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const pageErrors = [];

  // The DSMB member: Phase II by arm.
  const member = await browser.newContext({ viewport: { width: 1366, height: 1000 }, bypassCSP: true });
  const page = await member.newPage();
  page.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await login(page, 'dsmb-member', 'demo-dsmb-member');
  await page.goto(BASE + data.phase2Path);
  check(await page.locator('[data-grouping="arm"]').count() === 1, 'the DSMB member sees the Phase II tables by arm');
  const headers = await groupHeaders(page);
  check(data.arms.every(function (a) { return headers.includes(a); }), 'each arm is a column: ' + headers.join(', '));
  await page.screenshot({ path: path.join(SHOTS, 'dsmb-by-arm.png'), fullPage: true });

  // Phase I: the fired rule awaits the decision; a wrong password is refused on the page.
  await page.goto(BASE + data.phase1Path);
  check(await page.locator('[data-holding="' + data.rule + '"]').count() === 1, 'the fired rule holds dosing and enrolment');
  const form = page.locator('form.dsmb-decision');
  check(await form.count() === 1, 'the DSMB member has the decision form');
  await form.locator('select[name="rule_id"]').selectOption(data.rule);
  await form.locator('select[name="outcome"]').selectOption('continue');
  await form.locator('textarea[name="rationale"]').fill('Reviewed the listings: an isolated event, continue as planned.');
  await form.locator('input[name="password"]').fill('not the password');
  await form.locator('button[type="submit"]').click();
  await page.waitForFunction(function () {
    const alert = document.querySelector('form.dsmb-decision [role="alert"]');
    return alert && alert.textContent.length > 0;
  });
  check(await page.locator('[data-holding]').count() === 1, 'a wrong password records no decision');
  await form.locator('input[name="password"]').fill('demo-dsmb-member');
  await Promise.all([page.waitForNavigation(), form.locator('button[type="submit"]').click()]);
  check(await page.locator('table[data-table="decisions"] tbody tr').count() === 1, 'the signed decision is listed');
  check(await page.locator('[data-holding]').count() === 0, 'dosing and enrolment resume');
  await page.screenshot({ path: path.join(SHOTS, 'dsmb-decided.png'), fullPage: true });
  await member.close();

  // A blinded user (the safety physician): pooled, no arm anywhere on the page.
  const blinded = await browser.newContext({ viewport: { width: 1366, height: 1000 }, bypassCSP: true });
  const other = await blinded.newPage();
  other.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await login(other, 'safety-physician', 'demo-safety-physician');
  await other.goto(BASE + data.phase2Path);
  check(await other.locator('[data-grouping="pooled"]').count() === 1, 'the safety physician sees pooled tables');
  const pooled = await groupHeaders(other);
  check(pooled.length === 1, 'one pooled group: ' + pooled.join(', '));
  const html = (await other.content()).split(data.title).join('');
  check(!data.arms.includes(pooled[0]), 'the pooled group is not an arm');
  // The product's name is also the study's id; the other arm's name must not appear.
  for (const arm of data.arms) check(arm === 'XS228' || !html.includes(arm), 'no arm "' + arm + '" on the blinded DSMB page');
  check(await other.locator('form.dsmb-decision').count() === 0, 'no decision form for a blinded role');
  await blinded.close();

  // The investigator confirms the Phase I DLT candidate on its DLT page, signing.
  const site = await browser.newContext({ viewport: { width: 1366, height: 1000 }, bypassCSP: true });
  const inv = await site.newPage();
  inv.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await login(inv, 'investigator', 'demo-investigator');
  await inv.goto(BASE + data.dltPath);
  const confirm = inv.locator('[data-candidate="' + data.candidate + '"] form.dlt-confirm');
  check(await confirm.count() === 1, 'the DLT candidate has a confirm form');
  await confirm.locator('input[name="assessed_on"]').fill(data.today);
  await confirm.locator('input[name="password"]').fill('demo-investigator');
  await Promise.all([inv.waitForNavigation(), confirm.locator('button[type="submit"]').click()]);
  check(await inv.locator('[data-assessment="dlt"]').count() === 1, 'the signed DLT is shown');
  check(await inv.locator('[data-linked-ae="' + data.candidate + '"]').count() === 1, 'the DLT names its adverse event');
  await inv.screenshot({ path: path.join(SHOTS, 'dlt-confirmed.png'), fullPage: true });
  await site.close();

  check(pageErrors.length === 0, 'no script error' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
