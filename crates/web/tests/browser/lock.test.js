// Lock → unblind → final report in a real browser (run by crates/web/tests/web/browser_lock.rs,
// which starts the server over a study with three signed casebooks and one open query, and
// writes the data file). Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const LOCK = BASE + '/studies/' + data.study + '/lock';
const REPORT = BASE + '/studies/' + data.study + '/report';
const stopper = setTimeout(function () { console.error('FAIL: the lock browser test took over 2 minutes'); process.exit(1); }, 120000);

function check(ok, what) {
  if (!ok) throw new Error(what + ' (' + data.database + ')');
  console.log('ok - ' + what + ' (' + data.database + ')');
}

async function login(browser, username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, bypassCSP: true });
  const page = await context.newPage();
  page.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', data.password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
  return { context, page };
}

async function alertText(page, form) {
  await page.waitForFunction(function (selector) {
    const alert = document.querySelector(selector + ' [role="alert"]');
    return alert && alert.textContent.length > 0;
  }, form);
  return page.locator(form + ' [role="alert"]').textContent();
}

const pageErrors = [];

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });

  // The data manager: the open query blocks the lock, and the lock is refused while it does.
  const dm = await login(browser, 'dm');
  await dm.page.goto(LOCK);
  check(await dm.page.locator('[data-lock-state="open"]').count() === 1, 'the study is open');
  check(await dm.page.locator('tr[data-blocker="open-query"]').count() === 1, 'the open query is listed as blocking');
  check(await dm.page.locator('tr[data-blocker="unsigned-form"]').count() === 0, 'every form is signed');
  await dm.page.screenshot({ path: path.join(SHOTS, 'lock-blocked.png'), fullPage: true });
  await dm.page.fill('#lock-password', data.password);
  await dm.page.click('#lock button[type="submit"]');
  const refused = await alertText(dm.page, '#lock form');
  check(refused.includes('cannot be locked'), 'the lock is refused naming why: ' + refused);
  // The data manager closes the query (as the query page does), then signs the lock.
  const closed = await dm.page.evaluate(async function (study) {
    const list = await fetch('/api/studies/' + study + '/queries', { credentials: 'same-origin' }).then(function (r) { return r.json(); });
    const open = list.filter(function (q) { return q.status !== 'closed'; });
    const r = await fetch('/api/studies/' + study + '/queries/' + open[0].id + '/close', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': window.scitrial.csrf(), 'Content-Type': 'application/json' },
      body: '{}',
    });
    return r.status;
  }, data.study);
  check(closed === 200, 'the query is closed');
  await dm.page.goto(LOCK);
  check(await dm.page.locator('[data-blockers="none"]').count() === 1, 'nothing blocks the lock any more');
  await dm.page.fill('#lock-password', 'not the password');
  await dm.page.click('#lock button[type="submit"]');
  const wrong = await alertText(dm.page, '#lock form');
  check(wrong.length > 0 && await dm.page.locator('[data-lock-state="open"]').count() === 1, 'a wrong password locks nothing: ' + wrong);
  await dm.page.fill('#lock-password', data.password);
  await Promise.all([dm.page.waitForNavigation(), dm.page.click('#lock button[type="submit"]')]);
  check(await dm.page.locator('[data-lock-state="locked"]').count() === 1, 'the study is locked');
  check((await dm.page.locator('[data-locked-by]').textContent()).includes('Test dm'), 'the lock names its signer');
  check(await dm.page.locator('#lock').count() === 0, 'no lock form once locked');
  await dm.page.screenshot({ path: path.join(SHOTS, 'lock-locked.png'), fullPage: true });
  await dm.context.close();

  // The sponsor administrator (blinded): the report is pooled, no arm named.
  const admin = await login(browser, 'admin');
  await admin.page.goto(REPORT);
  check(await admin.page.locator('.report[data-by-arm="false"]').count() === 1, 'the blinded sponsor reads the pooled report');
  check(await admin.page.locator('figure[data-figure="consort"] svg').count() === 1, 'the report draws the CONSORT flow');
  const pooled = (await admin.page.content()).split(data.title).join('');
  for (const arm of data.arms) check(arm === 'XS228' || !pooled.includes(arm), 'no arm "' + arm + '" in the pooled report');
  check(await admin.page.locator('td[data-consort="randomised"]').textContent() === '3', 'the flow counts the three randomised');

  // The DSMB statistician: by arm.
  const dsmb = await login(browser, 'dsmb');
  await dsmb.page.goto(REPORT);
  check(await dsmb.page.locator('.report[data-by-arm="true"]').count() === 1, 'the DSMB reads the report by arm');
  await dsmb.page.screenshot({ path: path.join(SHOTS, 'report-dsmb.png'), fullPage: true });
  await dsmb.context.close();

  // The sponsor administrator unblinds the locked study, signing with a reason.
  await admin.page.goto(LOCK);
  check(await admin.page.locator('#unblind form').count() === 1, 'the sponsor administrator has the unblinding form');
  await admin.page.fill('#unblind-reason', 'Final analysis after the database lock');
  await admin.page.fill('#unblind-password', data.password);
  await Promise.all([admin.page.waitForNavigation(), admin.page.click('#unblind button[type="submit"]')]);
  check(await admin.page.locator('[data-lock-state="unblinded"]').count() === 1, 'the study is unblinded');
  check((await admin.page.locator('[data-unblinded-by]').textContent()).includes('Test admin'), 'the unblinding names its signer');

  // The final report, by arm for the blinded team now, in English and in Chinese.
  await admin.page.goto(REPORT);
  check(await admin.page.locator('.report[data-by-arm="true"]').count() === 1, 'after the unblinding the sponsor reads the report by arm');
  const final = await admin.page.content();
  check(data.arms.every(function (a) { return final.includes(a); }), 'the final report names each arm');
  await admin.page.screenshot({ path: path.join(SHOTS, 'report-final.png'), fullPage: true });
  await admin.page.goto(BASE + '/language/zh?next=' + encodeURIComponent('/studies/' + data.study + '/report'));
  check(await admin.page.locator('.report[lang="zh-Hans"]').count() === 1, 'the report in Chinese');
  check((await admin.page.content()).includes('统计分析报告'), 'the Chinese report has its Chinese title');
  await admin.context.close();

  check(pageErrors.length === 0, 'no script error' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
