// The pages in a real browser (run by crates/web/tests/web/browser.rs, which starts the server and
// writes the data file). Exits non-zero on the first failure.
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

// The words of an allocation that a blinded role must never see.
function blindCheck(html, where) {
  // The study's public title names the comparison; nothing else may.
  html = html.split(data.title).join('').split(escapeHtml(data.title)).join('');
  const text = html.toLowerCase();
  for (const arm of data.arms) check(!text.includes(arm.toLowerCase()) || arm.toLowerCase() === 'xs228', `no arm "${arm}" on ${where}`);
  // The kit number is no allocation: every role sees it (as the API's participant list says).
  check(!/placebo|\barm\b|dose volume/i.test(html), `no arm or dose volume on ${where}`);
}

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

async function login(page, username, password, landing) {
  await page.goto(BASE + '/login' + (landing ? '?next=' + encodeURIComponent(landing) : ''));
  check(await page.locator('input[name="username"]').count() === 1, '/login has a username input');
  check(await page.locator('input[type="password"]').count() === 1, '/login has a password input');
  await labelCheck(page, '/login');
  await page.focus('input[name="username"]');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

// Every input of the page has a label.
async function labelCheck(page, where) {
  const unlabelled = await page.$$eval('input:not([type="hidden"]), select, textarea', function (els) {
    return els.filter(function (e) { return e.labels.length === 0 && !e.getAttribute('aria-label'); })
      .map(function (e) { return e.name || e.id; });
  });
  check(unlabelled.length === 0, 'every input has a label on ' + where + (unlabelled.length ? ': ' + unlabelled.join(', ') : ''));
}

async function results(page) {
  return page.$$eval('[data-result]', function (els) {
    const out = {};
    for (const el of els) out[el.dataset.result] = el.textContent;
    return out;
  });
}

// Types the exam by keyboard only, in the worksheet's focus order.
async function typeExam(page, exam, checkTotals) {
  const names = await page.$$eval('input.cell', function (els) { return els.map(function (e) { return e.name; }); });
  check(names.length === 132, 'the worksheet has 132 exam inputs named by flat-layout keys (got ' + names.length + ')');
  await page.focus('[name="' + names[0] + '"]');
  for (const [i, name] of names.entries()) {
    const focused = await page.evaluate(function () { return document.activeElement && document.activeElement.name; });
    if (focused !== name) throw new Error('focus is on ' + focused + ', expected ' + name);
    await page.keyboard.type(exam[name]);
    if (i === 9 && checkTotals) {
      // The right motor column is complete: its totals show, nothing else does yet.
      await page.waitForFunction(function () { return document.querySelector('[data-result="rightMotorTotal"]').textContent !== ''; });
      const partial = await results(page);
      for (const key of ['rightUpperMotorTotal', 'rightLowerMotorTotal', 'rightMotorTotal']) {
        if (partial[key] !== data.expected[key]) throw new Error(`${key} while entering: ${partial[key]}, the engine says ${data.expected[key]}`);
      }
      for (const key of ['leftMotorTotal', 'upperMotorTotal', 'rightTouchTotal', 'neurologicalLevelOfInjury', 'asiaImpairmentScale']) {
        if (partial[key] !== '') throw new Error(`${key} shown before its values are entered: ${partial[key]}`);
      }
      check(true, 'a total shows as soon as its column is entered, equal to the engine\'s');
    }
  }
  // The last value keeps the focus (a star may follow); Enter goes on to the anal exam.
  check(await page.evaluate(function () { return document.activeElement.name; }) === names[names.length - 1], 'the last value keeps the focus');
  await page.keyboard.press('Enter');
  for (const name of ['analContraction', 'analSensation']) {
    const focused = await page.evaluate(function () { return document.activeElement && document.activeElement.name; });
    if (focused !== name) throw new Error('focus is on ' + focused + ', expected ' + name);
    await page.keyboard.type(exam[name]);
    await page.keyboard.press('Tab');
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  // The pages' content security policy would also stop injected scripts; it is bypassed here so
  // that the escaping itself is what the test sees (and so that waitForFunction may evaluate).
  const context = await browser.newContext({ viewport: { width: 1366, height: 1000 }, bypassCSP: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', function (e) { pageErrors.push(String(e)); });
  page.on('dialog', function (d) { pageErrors.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  page.setDefaultTimeout(15000);

  // Signed out, a page sends to the login.
  await page.goto(BASE + data.participantPath);
  check(page.url().startsWith(BASE + '/login'), 'a page asked for while signed out goes to /login');

  // 1. A coordinator signs in on its site's participants, and opens the dashboard.
  await login(page, 'crc', 'demo-crc', null);
  check(/\/studies\/[^/]+\/participants$/.test(page.url()), 'the coordinator lands on its participants (' + page.url() + ')');
  await page.goto(page.url().replace(/\/participants$/, ''));
  await page.waitForSelector('text=Enrolment by site');
  await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
  blindCheck(await page.content(), 'the dashboard');

  // 2. The worksheet of a visit: a complete exam by keyboard only.
  await page.goto(BASE + data.worksheetPath);
  await labelCheck(page, 'the worksheet');
  await typeExam(page, data.exam, true);
  await page.waitForFunction(function () {
    const el = document.querySelector('[data-result="asiaImpairmentScale"]');
    return el && el.textContent !== '';
  });
  const shown = await results(page);
  check(Object.keys(shown).length === 25, 'the worksheet shows the 25 results');
  for (const key of Object.keys(data.expected)) {
    if (shown[key] !== data.expected[key]) throw new Error(`${key}: shown ${shown[key]}, the engine says ${data.expected[key]}`);
  }
  check(true, 'the classification shown equals the engine\'s (25 of 25)');
  const aisColour = await page.$$eval('path.derm', function (ps) { return ps.filter(function (p) { return !p.classList.contains('empty'); }).length; });
  check(aisColour > 40, 'the dermatome map is coloured (' + aisColour + ' regions)');

  await page.screenshot({ path: path.join(SHOTS, 'worksheet.png'), fullPage: true });

  // Escaping: comments with markup stay text.
  const evil = '<script>window.__xss=3</script> "><img src=x onerror="window.__xss=4">';
  await page.focus('#f-comments');
  await page.keyboard.type(evil);

  // Invalid values are flagged inline and do not move on.
  await page.focus('[name="c5RightTouch"]');
  const before = await page.inputValue('[name="c5RightTouch"]');
  await page.keyboard.type('7');
  check(await page.getAttribute('[name="c5RightTouch"]', 'aria-invalid') === 'true', 'an invalid value is flagged inline');
  check(await page.evaluate(function () { return document.activeElement.name; }) === 'c5RightTouch', 'an invalid value keeps the focus');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(before);

  // Live updates: from the keystroke to the results on screen.
  const timings = [];
  const cell = '[name="c6RightMotor"]';
  const original = data.exam.c6RightMotor;
  const other = original === '0' ? '1' : '0';
  for (let i = 0; i < 20; i++) {
    await page.focus(cell);
    const value = i % 2 === 0 ? other : original;
    const updates = await page.evaluate(function () {
      window.__t0 = 0;
      document.addEventListener('keydown', function (e) { if (!window.__t0) window.__t0 = performance.now(); }, { once: true, capture: true });
      return window.scitrial.updates;
    });
    await page.keyboard.type(value);
    await page.waitForFunction(function (n) { return window.scitrial.updates > n && document.querySelector('[data-result="asiaImpairmentScale"]').textContent !== ''; }, updates);
    timings.push(await page.evaluate(function () { return window.scitrial.lastUpdate - window.__t0; }));
  }
  timings.sort(function (a, b) { return a - b; });
  const median = timings[Math.floor(timings.length / 2)];
  const p90 = timings[Math.floor(timings.length * 0.9)];
  console.log('MEASURE live classification, keystroke to results shown: median ' + median.toFixed(1) +
    ' ms, 90th percentile ' + p90.toFixed(1) + ' ms, max ' + timings[timings.length - 1].toFixed(1) +
    ' ms over ' + timings.length + ' updates');
  check(JSON.stringify(await results(page)) === JSON.stringify(shown), 'the results are back to the exam\'s');

  // Save (first save: no reason needed).
  await Promise.all([page.waitForNavigation(), page.click('#save')]);
  check(await page.inputValue('[name="c6RightMotor"]') === original, 'the saved exam is shown after saving');
  check(await page.inputValue('#f-comments') === evil, 'comments with markup come back as text');
  blindCheck(await page.content(), 'the worksheet');

  // Change a saved value: the reason is asked for.
  await page.focus(cell);
  await page.keyboard.type(other);
  await page.click('#save');
  await page.waitForSelector('#reason-dialog[open]');
  await page.click('#reason-ok');
  check(await page.isVisible('#reason-error'), 'a change without a reason is refused');
  await page.focus('#reason');
  await page.keyboard.type('Re-examined: weaker than first recorded');
  await page.keyboard.press('Tab');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(await page.inputValue(cell) === other, 'the changed value is saved');
  const changed = await results(page);

  // The session ends (cookie gone): unsaved entries survive the new sign-in.
  await page.focus('[name="c5RightMotor"]');
  const draftValue = data.exam.c5RightMotor === '3' ? '2' : '3';
  await page.keyboard.type(draftValue);
  await context.clearCookies();
  await page.goto(BASE + data.worksheetPath);
  check(page.url().startsWith(BASE + '/login'), 'after the session ends the worksheet asks to sign in');
  await page.focus('input[name="username"]');
  await page.keyboard.type('crc');
  await page.keyboard.press('Tab');
  await page.keyboard.type('demo-crc');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url() === BASE + data.worksheetPath, 'the sign-in returns to the worksheet');
  check(await page.inputValue('[name="c5RightMotor"]') === draftValue, 'the unsaved entry survived the re-login');
  check(await page.isVisible('#ws-notice'), 'the page says unsaved entries were restored');

  // The participant page shows the change with its reason (the investigator reads the trail).
  await context.clearCookies();
  await login(page, 'investigator', 'demo-investigator', data.participantPath);
  // The participant page links to the audit page, filtered to the participant.
  await Promise.all([page.waitForNavigation(), page.click('[data-audit-link]')]);
  const auditText = await page.textContent('table.audit');
  check(auditText.includes('Re-examined: weaker than first recorded'), 'the audit trail shows the reason');
  const row = page.locator('tr[data-audit-field="exam.c6RightMotor"]');
  check(await row.count() === 1, 'the audit trail has a line for the changed exam field');
  check(await row.locator('[data-old]').textContent() === original && await row.locator('[data-new]').textContent() === other,
    'the line shows the old and new value (' + original + ' → ' + other + ')');
  check((await row.textContent()).includes('Re-examined'), 'the line shows the reason');
  blindCheck(await page.content(), 'the audit page');
  await page.goto(BASE + data.participantPath);
  blindCheck(await page.content(), 'the participant page');
  const briefs = await page.$$eval('[data-exam-brief]', function (els) { return els.map(function (e) { return e.textContent; }); });
  check(briefs.some(function (b) { return b.includes('NLI) ' + changed.neurologicalLevelOfInjury + ' ') && b.includes('AIS ' + changed.asiaImpairmentScale + ' '); }),
    'the visit timeline shows the saved exam\'s NLI and AIS');
  for (const p of ['/participants', '/queries']) {
    await page.goto(BASE + '/studies/' + data.study + p);
    blindCheck(await page.content(), p);
    await labelCheck(page, p);
  }

  // Chinese.
  await page.goto(BASE + data.worksheetPath);
  await Promise.all([page.waitForNavigation(), page.click('a[lang="zh-Hans"]')]);
  check((await page.textContent('header')).includes('受试者'), 'the menu is in Chinese');
  check((await page.textContent('.ws-grid')).includes('轻触'), 'the worksheet labels are in Chinese');
  check(await page.getAttribute('html', 'lang') === 'zh-Hans', 'the page says it is Chinese');
  await Promise.all([page.waitForNavigation(), page.click('a[lang="en"]')]);

  // Escaping of names.
  await context.clearCookies();
  await login(page, 'hostile', data.password, data.hostilePath);
  check(await page.textContent('[data-user-name]') === data.hostileName, 'a user\'s name with markup shows as text');
  check(await page.textContent('[data-screening-number]') === data.hostileNumber, 'a screening number with markup shows as text');
  await page.goto(BASE + '/studies/' + data.study + '/participants?q=script');
  check((await page.textContent('a[data-participant]')) === data.hostileNumber, 'the list shows it as text');
  check(await page.evaluate(function () { return window.__xss === undefined; }), 'no injected script ran');
  check(await page.locator('img[src="x"]').count() === 0, 'no injected element exists');

  // The free calculator: the same worksheet, nothing saved.
  await page.goto(BASE + '/isncsci');
  check(await page.locator('#save').count() === 0, 'the calculator has no save button');
  await typeExam(page, data.exam);
  await page.waitForFunction(function () {
    const el = document.querySelector('[data-result="asiaImpairmentScale"]');
    return el && el.textContent !== '';
  });
  check(JSON.stringify(await results(page)) === JSON.stringify(shown), 'the calculator classifies the exam as the engine does');
  await page.reload();
  check(await page.inputValue('[name="c5RightMotor"]') === '' && await page.isHidden('#ws-notice'),
    'the calculator starts empty (it keeps no draft)');
  await typeExam(page, data.exam);
  // Editing a filled sheet: a star typed after a value marks it and leaves the next cell alone.
  const nextValue = await page.inputValue('[name="c6RightMotor"]');
  await page.focus('[name="c5RightMotor"]');
  await page.keyboard.type('4*');
  check(await page.inputValue('[name="c5RightMotor"]') === '4*' && await page.inputValue('[name="c6RightMotor"]') === nextValue,
    'a star typed after a value marks it and keeps the next cell\'s value');
  // The last cell keeps the focus: "NT**" typed there in full is NT**.
  await page.focus('[name="s1LeftMotor"]');
  await page.keyboard.type('NT**');
  check(await page.inputValue('[name="s1LeftMotor"]') === 'NT**', 'NT** typed into the last cell is NT**');

  // The idle warning five minutes before the session ends (on a fake clock).
  const timed = await browser.newContext({ viewport: { width: 1024, height: 768 }, bypassCSP: true });
  await timed.clock.install();
  const clockPage = await timed.newPage();
  clockPage.on('pageerror', function (e) { pageErrors.push(String(e)); });
  await login(clockPage, 'crc', 'demo-crc', '/isncsci');
  check(await clockPage.isHidden('#session-banner'), 'no warning while the session is young');
  await clockPage.clock.fastForward('25:01');
  await clockPage.waitForSelector('#session-banner:not([hidden])');
  check((await clockPage.textContent('#session-banner')).includes('5 minutes'), 'a warning 5 minutes before the idle end');
  await clockPage.click('#session-banner button');
  await clockPage.waitForSelector('#session-banner[hidden]', { state: 'attached' });
  check(true, '"Stay signed in" keeps the session and hides the warning');
  await clockPage.clock.fastForward('30:01');
  await clockPage.waitForSelector('#session-banner a[href^="/login"]');
  check(true, 'after 30 idle minutes the page says the session ended, with a link to sign in');
  await timed.close();

  // The pages under their own content security policy (not bypassed here): no violation, no
  // script error, and the worksheet still classifies.
  const strict = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const strictPage = await strict.newPage();
  const consoleErrors = [];
  strictPage.on('console', function (m) { if (m.type() === 'error') consoleErrors.push(m.text()); });
  strictPage.on('pageerror', function (e) { consoleErrors.push(String(e)); });
  await login(strictPage, 'investigator', 'demo-investigator', data.participantPath);
  for (const p of [data.worksheetPath, '/studies/' + data.study, '/studies/' + data.study + '/queries']) {
    await strictPage.goto(BASE + p);
  }
  await strictPage.goto(BASE + data.worksheetPath);
  await strictPage.waitForSelector('[data-result="asiaImpairmentScale"]:not(:empty)');
  check(consoleErrors.length === 0, 'the pages keep to their content security policy' + (consoleErrors.length ? ': ' + consoleErrors.join('; ') : ''));
  await strict.close();

  // The coordinator answers the monitor's query on the participant page; the monitor closes it.
  await login(page, 'crc', 'demo-crc', data.participantPath);
  const answerBox = page.locator('#answer-' + data.query);
  check(await answerBox.count() === 1, 'the coordinator is offered an answer to the open query');
  await labelCheck(page, 'the participant page with a query to answer');
  await answerBox.fill('Source checked: C5 is 4, corrected.');
  await Promise.all([page.waitForNavigation(), page.click('form.query-answer button[type="submit"]')]);
  check((await page.content()).includes('Source checked: C5 is 4, corrected.'), 'the answer is shown once sent');
  check(await page.locator('#answer-' + data.query).count() === 0, 'an answered query is not offered again');
  await login(page, 'monitor', 'demo-monitor', data.participantPath);
  const closeButton = page.locator('button[data-post$="/queries/' + data.query + '/close"]');
  check(await closeButton.count() === 1, 'the monitor who raised it may close the answered query');
  await Promise.all([page.waitForNavigation(), closeButton.click()]);
  check(await page.locator('button[data-post$="/queries/' + data.query + '/close"]').count() === 0, 'a closed query is closed');

  // The monitor verifies the saved worksheet against the source.
  const verifyButton = page.locator('button[data-post$="/verification"]').first();
  check(await verifyButton.count() === 1, 'the monitor may verify a complete form');
  await Promise.all([page.waitForNavigation(), verifyButton.click()]);
  check((await page.content()).includes('badge source-verified'), 'a verified form shows as source-verified');

  // The investigator signs its visit: a wrong password is refused on the page, the right one signs.
  await login(page, 'investigator', 'demo-investigator', data.participantPath);
  const signForm = page.locator('form.sign').first();
  check(await signForm.count() === 1, 'the investigator may sign a visit with saved forms');
  await labelCheck(page, 'the participant page with a visit to sign');
  const signaturesBefore = await page.locator('.badge.done').count();
  await signForm.locator('input[name="password"]').fill('not the password');
  await signForm.locator('button[type="submit"]').click();
  await page.waitForFunction(function () {
    const alert = document.querySelector('form.sign [role="alert"]');
    return alert && alert.textContent.length > 0;
  });
  check(true, 'a wrong password is refused with a message on the page');
  await signForm.locator('input[name="password"]').fill('demo-investigator');
  await Promise.all([page.waitForNavigation(), signForm.locator('button[type="submit"]').click()]);
  check(await page.locator('.badge.done').count() === signaturesBefore + 1, 'the signature is listed, valid');

  // The sponsor acknowledges the demo's emergency-unblinding notification.
  const notificationsPath = '/studies/' + data.study + '/notifications';
  await login(page, 'sponsor-admin', 'demo-sponsor-admin', notificationsPath);
  check(page.url() === BASE + notificationsPath, 'the sponsor lands on the notifications');
  const unread = await page.$$('button[data-post$="/read"]');
  check(unread.length >= 1, 'the sponsor has an emergency unblinding to acknowledge');
  await Promise.all([page.waitForNavigation(), unread[0].click()]);
  const left = await page.$$('button[data-post$="/read"]');
  check(left.length === unread.length - 1, 'an acknowledged notification shows when it was read');
  blindCheck(await page.content(), notificationsPath);
  await labelCheck(page, notificationsPath);

  // Signing out ends the session.
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
  check(page.url().startsWith(BASE + '/login'), 'signing out shows the login');
  await page.goto(BASE + data.participantPath);
  check(page.url().startsWith(BASE + '/login'), 'after signing out the pages ask to sign in again');

  check(pageErrors.length === 0, 'no script error on any page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
