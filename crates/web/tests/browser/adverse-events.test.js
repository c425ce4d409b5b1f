// Adverse events in a real browser (run by crates/web/tests/web/browser_safety.rs, which starts
// the server and writes the data file): a coordinator records an event, searching the term and
// seeing the grade's definition; a bad date is shown next to its field; the investigator signs
// it with the password re-entered; a change with a reason voids the signature. Exits non-zero on
// the first failure. The pages' own content security policy stays on (so no waitForFunction).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
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

// The words of an allocation, which no adverse event page shows (the study's title aside).
async function blindCheck(page, where) {
  const html = (await page.content()).split(data.title).join('');
  check(!/placebo|\bkit\b|\barm\b/i.test(html), 'no arm or kit on ' + where);
}

async function text(page, selector) {
  return (await page.textContent(selector)) || '';
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

  // The coordinator opens the participant and follows the link to record an event.
  await login(page, data.crc);
  await page.goto(BASE + data.participantPath);
  check(await page.locator('#adverse-events').count() === 1, 'the participant page lists adverse events');
  await Promise.all([page.waitForNavigation(), page.click('a[data-record-ae]')]);
  check(page.url().endsWith('/adverse-events/new'), 'the link opens the new adverse event form');

  await page.fill('#ae-verbatim', 'pounding headache the day after the puncture');
  // The term is searched and picked from the API's list.
  await page.fill('#ae-term-search', 'headache');
  await page.waitForSelector('[data-term-option="' + data.term + '"]');
  const options = await page.$$eval('[data-term-option]', function (els) { return els.map(function (e) { return e.dataset.termOption; }); });
  check(options.every(function (o) { return /headache/i.test(o); }) && options.length >= 1, 'the search lists the matching terms: ' + options.join(', '));
  // Enter in the search picks the first term listed and does not send the form.
  await page.press('#ae-term-search', 'Enter');
  check(page.url().endsWith('/adverse-events/new') && (await page.inputValue('#ae-term')) === options[0], 'Enter picks the first term listed');
  await page.fill('#ae-term-search', 'headache');
  await page.waitForSelector('[data-term-option="' + data.term + '"]');
  await page.click('[data-term-option="' + data.term + '"]');
  check((await text(page, '#ae-term-chosen')).startsWith(data.term + ' · '), 'the chosen term shows with its system organ class');
  // The chosen grade's definition for this term.
  await page.selectOption('#ae-grade', '2');
  check(await text(page, '#ae-grade-definition') === data.grade2, 'grade 2 shows its definition for the term: ' + data.grade2);
  await page.selectOption('#ae-grade', '4');
  check(await text(page, '#ae-grade-definition') !== data.grade2, 'another grade shows another text');
  await page.selectOption('#ae-grade', '2');
  check((await text(page, '#ae-expectedness')).length > 0 && !(await text(page, '#ae-expectedness')).includes('once a term'),
    'the expectedness follows the reference safety information');
  await page.selectOption('#ae-causality-product', 'unlikely');
  await page.selectOption('#ae-causality-procedure', 'probable');
  await page.selectOption('#ae-action', 'dose-not-changed');
  await page.selectOption('#ae-outcome', 'recovering');

  // A date after today: refused, the API's message next to the onset field; nothing saved.
  await page.fill('#ae-onset', data.tomorrow);
  await page.click('#ae-form button[type="submit"]');
  await page.waitForSelector('[data-error-for="onset"]:not(:empty)');
  const onsetError = await text(page, '[data-error-for="onset"]');
  check(onsetError.includes('after today'), 'the bad onset is refused next to its field: ' + onsetError);
  check(await page.getAttribute('#ae-onset', 'aria-invalid') === 'true', 'the onset input is marked invalid');
  check(await text(page, '[data-error-for="verbatim"]') === '', 'no error shows at the other fields');
  check(page.url().endsWith('/adverse-events/new'), 'nothing was saved');
  await blindCheck(page, 'the new event form');
  await page.screenshot({ path: path.join(SHOTS, 'adverse-event-error.png'), fullPage: true });

  // A partial date is fine: saved, the page of the event shows it unsigned.
  await page.fill('#ae-onset', data.onset);
  await Promise.all([page.waitForNavigation(), page.click('#ae-form button[type="submit"]')]);
  check(/\/adverse-events\/\d+$/.test(page.url()), 'saved, the event has its own page');
  const eventUrl = page.url();
  check(await page.getAttribute('[data-ae-signed]', 'data-ae-signed') === '0', 'the event shows unsigned');
  check(await page.inputValue('#ae-onset') === data.onset, 'the partial onset is kept as entered');
  check(await page.locator('#ae-sign').count() === 0, 'the coordinator is not offered to sign');
  await logout(page);

  // The investigator signs it: a wrong password first, refused on the form.
  await login(page, data.investigator);
  await page.goto(eventUrl);
  check(await page.locator('#ae-sign').count() === 1, 'the investigator is offered to sign');
  await page.fill('#ae-password', 'not my password');
  await page.click('#ae-sign button[type="submit"]');
  await page.waitForSelector('#ae-sign [role="alert"]:not(:empty)');
  check((await text(page, '#ae-sign [role="alert"]')).includes('wrong password'), 'a wrong password is refused on the form');
  await page.fill('#ae-password', data.password);
  await Promise.all([page.waitForNavigation(), page.click('#ae-sign button[type="submit"]')]);
  check(await page.getAttribute('[data-ae-signed]', 'data-ae-signed') === '1', 'the signature shows');
  check((await text(page, '#ae-signature')).includes(data.investigatorName), 'the signer is named');
  check(await page.locator('#ae-sign').count() === 0, 'a signed event offers no second signature');
  await blindCheck(page, 'the signed event');
  await page.goto(BASE + data.participantPath);
  check(await page.locator('#adverse-events .badge.done').count() === 1, 'the participant list shows it signed');
  await page.screenshot({ path: path.join(SHOTS, 'adverse-event-signed.png'), fullPage: true });

  // A change needs a reason; with one, it voids the signature.
  await page.goto(eventUrl);
  await page.selectOption('#ae-grade', '3');
  check(await text(page, '#ae-grade-definition') === data.grade3, 'grade 3 shows its definition');
  await page.click('#ae-form button[type="submit"]');
  await page.waitForSelector('[data-error-for="reason"]:not(:empty)');
  check((await text(page, '[data-error-for="reason"]')).length > 0, 'a change without a reason is refused next to the reason');
  await page.fill('#ae-reason', 'grade rechecked against the source');
  await Promise.all([page.waitForNavigation(), page.click('#ae-form button[type="submit"]')]);
  check(await page.getAttribute('[data-ae-signed]', 'data-ae-signed') === '0', 'the change voided the signature');
  check((await text(page, '[data-void-reason]')).includes('grade 2 → 3'), 'the void names the change');
  check(await page.locator('#ae-sign').count() === 1, 'the investigator may sign again');
  await page.screenshot({ path: path.join(SHOTS, 'adverse-event-voided.png'), fullPage: true });

  // In Chinese, the same page.
  await page.goto(BASE + '/language/zh?next=' + encodeURIComponent(new URL(eventUrl).pathname));
  check((await page.getAttribute('html', 'lang')) === 'zh-Hans', 'the page is in Chinese');
  check((await text(page, 'main')).includes('与操作（腰椎穿刺）的相关性'), 'the form is in Chinese');

  check(pageErrors.length === 0, 'no script error on any page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
