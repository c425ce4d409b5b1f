// Navigation, administration and the audit trail in a real browser (run by
// crates/web/tests/web/browser_nav.rs, which starts the server over the demo's two studies and
// writes the data file). Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the navigation browser test took over 2 minutes'); process.exit(1); }, 120000);

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

// Submits a `data-post` or `data-account-post` form and waits for its answer.
async function submit(page, form) {
  await Promise.all([
    page.waitForResponse(function (r) { return r.request().method() === 'POST' && r.url().includes('/api/'); }),
    form.locator('button[type="submit"]').click(),
  ]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const pageErrors = [];
  async function fresh() {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', function (e) { pageErrors.push(String(e)); });
    return page;
  }

  // Each role lands on its own work: with two studies, the list first, then the study's work.
  for (const [user, start] of data.landings) {
    const page = await fresh();
    await login(page, user, 'demo-' + user);
    check(page.url() === BASE + '/studies', user + ' with two studies lands on the study list');
    await Promise.all([page.waitForNavigation(), page.click('[data-study="' + data.phase2 + '"] a[data-start]')]);
    check(page.url() === BASE + start, user + ' starts at ' + start + ' (at ' + page.url() + ')');
    // The switcher in the header goes to the other study's work.
    await page.click('details.switcher summary');
    await Promise.all([page.waitForNavigation(), page.click('a[data-switch-study="' + data.phase1 + '"]')]);
    check(page.url().startsWith(BASE + '/studies/' + data.phase1), user + ' switched to Phase I (' + page.url() + ')');
    check(await page.textContent('[data-current-study]') === data.phase1, 'the header names the current study');
    await page.context().close();
  }

  // The sponsor administrator adds a user with an e-mail, gives a role, deactivates.
  const admin = await fresh();
  await login(admin, 'sponsor-admin', 'demo-sponsor-admin');
  await admin.goto(BASE + '/studies/' + data.phase2 + '/users');
  const create = admin.locator('form[data-new-user]');
  await create.locator('[name="username"]').fill('new-nurse');
  await create.locator('[name="full_name"]').fill('Wang Fang');
  await create.locator('[name="email"]').fill('wang@example.org');
  await create.locator('[name="password"]').fill('a long first password');
  await Promise.all([admin.waitForNavigation(), submit(admin, create)]);
  const row = admin.locator('tr[data-user="new-nurse"]');
  check(await row.count() === 1, 'the new account is listed');
  const assign = row.locator('form[data-assign-role]');
  await assign.locator('select[name="role"]').selectOption('crc');
  await assign.locator('select[name="site"]').selectOption(data.site);
  await Promise.all([admin.waitForNavigation(), submit(admin, assign)]);
  check(await admin.locator('tr[data-user="new-nurse"] form[data-remove-role="crc"]').count() === 1, 'the role is given at the site');
  await admin.screenshot({ path: path.join(SHOTS, 'admin-users.png'), fullPage: true });

  // The new user changes the password on their account page.
  const nurse = await fresh();
  await login(nurse, 'new-nurse', 'a long first password');
  await Promise.all([nurse.waitForNavigation(), nurse.click('a[data-account]')]);
  const change = nurse.locator('#change-password');
  await change.locator('[name="current_password"]').fill('a long first password');
  await change.locator('[name="new_password"]').fill('a long second password');
  await submit(nurse, change);
  await nurse.waitForFunction(function () { return document.querySelector('#change-password [role="status"]').textContent.length > 0; });
  check(true, 'the password is changed on the page');

  // Deactivated by the administrator, the account's session ends and it cannot sign in.
  const state = admin.locator('tr[data-user="new-nurse"] form[data-account-state]');
  await state.locator('[name="reason"]').fill('Left the site');
  await Promise.all([admin.waitForNavigation(), submit(admin, state)]);
  check(await admin.locator('tr[data-user="new-nurse"] [data-active="false"]').count() === 1, 'the account shows as deactivated');
  await nurse.goto(BASE + '/account');
  check(nurse.url().startsWith(BASE + '/login'), 'the deactivated account\'s session ended');
  await login(nurse, 'new-nurse', 'a long second password');
  check(nurse.url().startsWith(BASE + '/login'), 'a deactivated account cannot sign in');

  // Forgotten password: the login page links to the reset request, which answers on the page.
  await nurse.goto(BASE + '/login');
  await Promise.all([nurse.waitForNavigation(), nurse.click('a[data-forgot]')]);
  const ask = nurse.locator('#ask-reset');
  await ask.locator('[name="username"]').fill('sponsor-admin');
  await submit(nurse, ask);
  await nurse.waitForFunction(function () { return document.querySelector('#ask-reset [role="status"]').textContent.length > 0; });
  check(true, 'the reset request is acknowledged');

  // The audit trail: the participant page links to it, filtered; the auditor pages and filters.
  const auditor = await fresh();
  await login(auditor, 'auditor', 'demo-auditor');
  await auditor.goto(BASE + '/studies/' + data.phase2 + '/audit');
  check(await auditor.locator('tr[data-audit-row]').count() >= 50, 'a full page of the trail');
  check(await auditor.locator('a[rel="next"]').count() === 1, 'a next page');
  check(await auditor.locator('a[data-csv]').count() === 1, 'the auditor may download the CSV');
  await Promise.all([auditor.waitForNavigation(), auditor.click('a[rel="next"]')]);
  check((await auditor.textContent('[data-page]')) === '2', 'the second page');
  await auditor.selectOption('#f-participant', String(data.participant));
  await auditor.fill('#f-user', 'sponsor-admin');
  await Promise.all([auditor.waitForNavigation(), auditor.click('form.filters button[type="submit"]')]);
  check(auditor.url().includes('participant=' + data.participant) && auditor.url().includes('user=sponsor-admin'), 'the filters are in the address');
  await Promise.all([auditor.waitForNavigation(), auditor.fill('#f-user', ''), auditor.click('form.filters button[type="submit"]')]);
  const records = await auditor.$$eval('tr[data-audit-row] td:nth-child(4)', function (els) { return els.map(function (e) { return e.textContent; }); });
  check(records.length > 0, 'the participant has a trail');
  const href = await auditor.getAttribute('a[data-csv]', 'href');
  check(href.includes('participant=' + data.participant), 'the CSV follows the filter');
  const csv = await auditor.evaluate(async function (url) { return (await fetch(url)).text(); }, href);
  check(csv.startsWith('id,chain,seq,at,') && csv.split('\n').length > 2, 'the CSV downloads');
  await auditor.screenshot({ path: path.join(SHOTS, 'audit-trail.png'), fullPage: true });

  const inv = await fresh();
  await login(inv, 'investigator', 'demo-investigator');
  await inv.goto(BASE + '/studies/' + data.phase2 + '/participants/' + data.participant);
  await Promise.all([inv.waitForNavigation(), inv.click('[data-audit-link]')]);
  check(inv.url().endsWith('/audit?participant=' + data.participant), 'the participant page links to the filtered trail');
  check(await inv.locator('tr[data-audit-row]').count() > 0, 'the investigator reads the participant\'s trail');
  check(await inv.locator('a[data-csv]').count() === 0, 'the investigator has no download');

  // Chinese.
  await Promise.all([inv.waitForNavigation(), inv.click('a[lang="zh-Hans"]')]);
  check((await inv.textContent('h1')).includes('稽查轨迹'), 'the audit page in Chinese');

  check(pageErrors.length === 0, 'no script errors: ' + pageErrors.join('; '));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) {
  console.error('FAIL: ' + e.message);
  process.exit(1);
});
