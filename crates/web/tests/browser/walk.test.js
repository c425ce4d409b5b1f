// The walk of issue 16's "Done when" (run by crates/web/tests/web/browser_walk.rs once on
// SQLite and once on PostgreSQL): through the pages only, as the roles that do each step. The
// DSMB statistician generates the randomisation list; the coordinator screens a Phase II participant (the screening form and its exam), finds the exam
// in the screening visit's ISNCSCI form, enrols and randomises; the pharmacist dispenses the
// kit; the coordinator records each visit's date and fills each of its forms (ISNCSCI
// worksheet, vital signs, concomitant medication, SCIM III, WISCI II as scheduled) up to week
// 24; the monitor raises a query at a field, the coordinator answers it there, the monitor
// closes it, re-opens it from the participant's page and closes it again once answered, and
// source-verifies the forms; the investigator signs each visit; the data manager
// locks the week-24 visit. In Phase I the coordinator gives the dose level from the cohort page
// and records the dosing visit, and the investigator signs the DLT assessment. No call of the
// API is made by this script: every write is a page's own button or form. Exits non-zero on
// the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the walk took over 8 minutes'); process.exit(1); }, 480000);

function check(ok, what) {
  if (!ok) throw new Error(what + ' [' + data.database + ']');
  console.log('ok - ' + what);
}

const pageErrors = [];
const apiCalls = [];

async function signIn(browser, username, base) {
  base = base || BASE;
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', function (e) { pageErrors.push(username + ': ' + e.message); });
  // Every API call is made by a page's own script: the walk records them to show it.
  page.on('request', function (r) { if (r.url().includes('/api/') && r.method() !== 'GET') apiCalls.push(username + ' ' + r.method() + ' ' + new URL(r.url()).pathname); });
  await page.goto(base + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', data.password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
  check(!page.url().includes('/login'), username + ' is signed in');
  return page;
}

async function waitText(page, selector) {
  for (let i = 0; i < 100; i++) {
    const texts = await page.locator(selector).allTextContents();
    if (texts.some(function (t) { return t.trim() !== ''; })) return;
    await page.waitForTimeout(100);
  }
  throw new Error('no text in ' + selector);
}

// Clicks and waits for the page to load again; on a refusal, says what the page showed.
async function clickAndReload(page, selector, what) {
  try {
    await Promise.all([page.waitForNavigation({ timeout: 20000 }), page.click(selector)]);
  } catch (e) {
    const shown = (await page.locator('[role="alert"], [role="status"], .error').allTextContents()).filter(function (t) { return t.trim(); });
    throw new Error(what + ': no reload after ' + selector + ' (the page shows: ' + shown.join(' | ') + ') [' + data.database + ']');
  }
}

// Whether the page's text names an arm (the study's public title aside).
async function armShown(page) {
  const text = (await page.textContent('main')).split(data.title).join('');
  return data.arms.some(function (a) { return text.includes(a); });
}

// Fills a generated eCRF form: the values given by field id, else a value its input allows.
async function fillForm(page, date) {
  const fields = page.locator('.crf-field');
  const n = await fields.count();
  for (let i = 0; i < n; i++) {
    const field = fields.nth(i);
    const id = await field.getAttribute('data-field');
    const input = field.locator('#f-' + id);
    if (await input.count() === 0) continue;
    // A field the platform fills (the donor HLA typing from the master cell bank) is shown
    // read-only and never typed.
    if (await input.getAttribute('data-source') !== null) continue;
    const tag = await input.evaluate(function (e) { return e.tagName + ':' + (e.type || ''); });
    if (tag.startsWith('SELECT')) {
      const values = (await input.locator('option').evaluateAll(function (os) { return os.map(function (o) { return o.value; }); })).filter(function (v) { return v !== ''; });
      const choice = values.includes('no') ? 'no' : values.includes('false') ? 'false' : values[0];
      await input.selectOption(choice);
    } else if (data.values[id] !== undefined) {
      await input.fill(data.values[id]);
    } else if (tag.endsWith(':date')) {
      await input.fill(date);
    } else if (tag.endsWith(':number')) {
      await input.fill((await input.getAttribute('min')) || '1');
    } else {
      await input.fill('walk');
    }
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const d = data.dates;
  const list = '/studies/' + data.study + '/participants';

  // The DSMB statistician generates the randomisation list from its page.
  const stat = await signIn(browser, 'dsmb');
  await stat.goto(BASE + '/studies/' + data.study + '/randomisation');
  await stat.fill('#g-seed', '424242');
  await stat.check('#generate-confirm');
  await stat.click('#generate-form button[type="submit"]');
  await stat.waitForSelector('#generated-seed', { state: 'visible' });
  check((await stat.textContent('[data-seed]')).trim() === '424242', 'the DSMB statistician generated the list (seed shown once)');

  // The coordinator screens through the screening form, with the exam.
  const crc = await signIn(browser, 'crc');
  await crc.goto(BASE + list);
  await Promise.all([crc.waitForNavigation(), crc.click('a[href="/studies/' + data.study + '/screening"]')]);
  await crc.selectOption('#s-site', data.site);
  await crc.fill('#s-number', 'WALK-1');
  await crc.selectOption('#s-sex', 'male');
  await crc.fill('#s-dob', '1988-07-14');
  await crc.fill('#s-injury', d.injury);
  await crc.fill('#s-consent', d.consent);
  await crc.fill('#s-screened', d.screening);
  for (const k of Object.keys(data.exam)) {
    if (k.startsWith('anal')) await crc.selectOption('#x-' + k, data.exam[k]);
    else await crc.fill('#x-' + k, data.exam[k]);
  }
  await Promise.all([crc.waitForURL(/\/journey$/), crc.click('#screening-form button[type="submit"]')]);
  const journey = new URL(crc.url()).pathname;
  const participant = journey.replace(/\/journey$/, '');
  check(await crc.getAttribute('[data-eligible]', 'data-eligible') === 'true', 'eligibility is computed from the screening exam');

  // One home for the exam: the screening visit's ISNCSCI form is that exam.
  await crc.goto(BASE + participant);
  const screeningExam = participant + '/visits/screening/forms/isncsci';
  await Promise.all([crc.waitForNavigation(), crc.click('a[href="' + screeningExam + '"]')]);
  for (const k of ['c5RightMotor', 'c7LeftMotor', 's4_5RightTouch']) {
    check(await crc.inputValue('[name="' + k + '"]') === data.exam[k], 'the screening visit\'s ISNCSCI form shows the screening exam (' + k + ')');
  }
  await crc.waitForSelector('[data-result="asiaImpairmentScale"]:not(:empty)');
  check((await crc.textContent('[data-result="asiaImpairmentScale"]')).trim() === 'B', 'with its classification (AIS B)');

  // Enrolment and randomisation (the confirmation first); the kit, never the arm.
  await crc.goto(BASE + journey);
  await crc.fill('#e-subject', 'XS-WALK1');
  await crc.fill('#e-on', d.enrolled);
  if (await crc.locator('#e-anchor').count()) await crc.fill('#e-anchor', d.dose);
  await clickAndReload(crc, '#enrol button[type="submit"]', 'enrolment');
  check(await crc.getAttribute('[data-status]', 'data-status') === 'enrolled', 'the participant is enrolled');
  await crc.check('#randomise-confirm');
  await crc.click('#randomise-form button[type="submit"]');
  await crc.waitForSelector('#randomised-kit', { state: 'visible' });
  const kit = (await crc.textContent('[data-new-kit]')).trim();
  check(/^K\d+/.test(kit), 'randomised: the kit is shown (' + kit + ')');
  check(!(await armShown(crc)), 'no arm for the coordinator');

  // The pharmacist dispenses the kit.
  const pharm = await signIn(browser, 'pharm');
  await pharm.goto(BASE + '/studies/' + data.study + '/kits');
  const row = pharm.locator('tr[data-kit-row="' + kit + '"]');
  await row.locator('input[name="kit_number"]').fill(kit);
  await Promise.all([pharm.waitForNavigation(), row.locator('button[type="submit"]').click()]);
  check(await pharm.locator('tr[data-kit-row="' + kit + '"] [data-dispensed-at]').count() === 1, 'the pharmacist dispensed the kit');

  // Each visit: its date on the journey page, then each of its forms from the timeline.
  for (const visit of data.visits) {
    const date = visit === 'screening' ? d.screening : d[visit];
    if (visit !== 'screening') {
      await crc.goto(BASE + journey);
      await crc.fill('#v-' + visit, date);
      await clickAndReload(crc, 'tr[data-visit="' + visit + '"] button[type="submit"]', visit + ' date');
      check((await crc.textContent('tr[data-visit="' + visit + '"]')).includes(date), visit + ' took place on ' + date);
    }
    for (const form of data.forms[visit]) {
      if (visit === 'screening' && form === 'isncsci') continue;
      await crc.goto(BASE + participant);
      const link = participant + '/visits/' + visit + '/forms/' + form;
      await Promise.all([crc.waitForNavigation(), crc.click('a[href="' + link + '"]')]);
      if (form === 'isncsci') {
        for (const k of Object.keys(data.exam)) {
          if (k.startsWith('anal')) await crc.selectOption('[name="' + k + '"]', data.exam[k]);
          else await crc.fill('[name="' + k + '"]', data.exam[k]);
        }
        await crc.waitForSelector('[data-result="asiaImpairmentScale"]:not(:empty)');
        await clickAndReload(crc, '#save', visit + ' ISNCSCI');
      } else {
        await fillForm(crc, date);
        await clickAndReload(crc, 'button[data-save="complete"]', visit + ' ' + form);
      }
      check(await crc.locator('[data-form-state].complete').count() === 1, visit + ' / ' + form + ' saved complete');
    }
  }
  await crc.goto(BASE + participant);
  const notStarted = await crc.locator('li.visit').evaluateAll(function (lis) {
    return lis.filter(function (li) { return li.querySelector('.badge.upcoming, .badge.due, .badge.overdue') === null; })
      .map(function (li) { return li.querySelectorAll('.forms .badge.not-started').length; });
  });
  check(notStarted.every(function (n) { return n === 0; }), 'every form of the visits done is saved');
  await crc.screenshot({ path: path.join(SHOTS, 'walk-timeline.png'), fullPage: true });

  // The monitor raises a query at a field of the week-24 vital signs.
  const vitals = participant + '/visits/week-24/forms/vital-signs';
  const mon = await signIn(browser, 'mon');
  await mon.goto(BASE + vitals);
  const field = mon.locator('[data-field="systolic_bp"]');
  await field.locator('details.raise-query summary').click();
  await field.locator('textarea[name="text"]').fill('Systolic pressure against the nursing chart?');
  await Promise.all([mon.waitForNavigation(), field.locator('form[data-query-for="systolic_bp"] button[type="submit"]').click()]);
  check(await mon.locator('[data-query-at="systolic_bp"]').count() === 1, 'the monitor\'s query shows at its field');

  // The coordinator answers it there; the monitor closes it.
  await crc.goto(BASE + vitals);
  await crc.fill('form[data-answer-for="systolic_bp"] textarea[name="answer"]', 'Checked against the nursing chart: 118 is right.');
  await clickAndReload(crc, 'form[data-answer-for="systolic_bp"] button[type="submit"]', 'the answer');
  check((await crc.textContent('[data-query-at="systolic_bp"]')).includes('118 is right'), 'the coordinator answered the query at its field');
  await mon.goto(BASE + vitals);
  await clickAndReload(mon, '[data-query-at="systolic_bp"] button[data-action="close-query"]', 'closing the query');
  check(await mon.locator('[data-query-at="systolic_bp"]').count() === 0, 'the monitor closed the query (no longer shown at its field)');
  // Whoever raised it re-opens the closed query from the participant's page with a new
  // question; it shows at its field again, is answered and closed again.
  await mon.goto(BASE + participant);
  const reopen = mon.locator('details.query-reopen').first();
  await reopen.locator('summary').click();
  await reopen.locator('textarea[name="text"]').fill('The chart of the evening reads 128: please check again.');
  await clickAndReload(mon, 'details.query-reopen form button[type="submit"] >> nth=0', 're-opening the query');
  await mon.goto(BASE + vitals);
  check((await mon.textContent('[data-query-at="systolic_bp"]')).includes('reads 128'), 'the re-opened query shows at its field with its new question');
  await crc.goto(BASE + vitals);
  await crc.fill('form[data-answer-for="systolic_bp"] textarea[name="answer"]', 'The evening reading was a repeat after exercise; 118 stands.');
  await clickAndReload(crc, 'form[data-answer-for="systolic_bp"] button[type="submit"]', 'the second answer');
  await mon.goto(BASE + vitals);
  await clickAndReload(mon, '[data-query-at="systolic_bp"] button[data-action="close-query"]', 'closing the query again');
  check(await mon.locator('[data-query-at="systolic_bp"]').count() === 0, 'the re-opened query is closed again');

  // The monitor verifies every complete form against the source.
  await mon.goto(BASE + participant);
  let verified = 0;
  while (await mon.locator('button[data-post$="/verification"]').count() > 0 && verified < 40) {
    await clickAndReload(mon, 'button[data-post$="/verification"] >> nth=0', 'verification');
    verified++;
  }
  check(verified >= 20, 'the monitor source-verified ' + verified + ' forms');
  check(await mon.locator('.forms .badge.complete').count() === 0, 'no complete form is left unverified');

  // The investigator signs each visit (password re-entered).
  const inv = await signIn(browser, 'inv');
  for (const visit of data.visits) {
    await inv.goto(BASE + participant);
    await inv.fill('#password-' + visit, data.password);
    await clickAndReload(inv, 'form.sign:has(#password-' + visit + ') button[type="submit"]', 'signing ' + visit);
  }
  const valid = await inv.locator('table.grid td .badge.done').count();
  check(valid === data.visits.length, 'the investigator signed every visit (' + valid + ' valid signatures)');
  check(await inv.locator('.forms .badge.signed').count() >= 20, 'the forms show as signed');

  // The data manager locks the week-24 visit.
  const dm = await signIn(browser, 'dm');
  await dm.goto(BASE + vitals);
  await clickAndReload(dm, 'button[data-action="lock-visit"]', 'locking the visit');
  check(await dm.locator('[data-locked]').count() === 1, 'the data manager locked the week-24 visit');
  await dm.goto(BASE + participant + '/visits/week-24/forms/scim3');
  check(await dm.locator('[data-form-state].locked').count() === 1, 'every form of the visit is locked');
  await dm.screenshot({ path: path.join(SHOTS, 'walk-locked.png'), fullPage: true });

  // Phase I: the coordinator gives the level enrolling now and records the dosing visit; the
  // investigator signs the DLT assessment.
  const p1 = data.phase1;
  const crc1 = await signIn(browser, 'crc', p1.base);
  await crc1.goto(p1.base + '/studies/' + p1.study + '/cohorts');
  const waiting = crc1.locator('li[data-waiting="' + p1.participant + '"]');
  check(await waiting.count() === 1, 'the Phase I participant waits for a dose level');
  await Promise.all([crc1.waitForNavigation(), waiting.locator('button[type="submit"]').click()]);
  check(await crc1.locator('tr[data-member="' + p1.participant + '"]').count() === 1, 'the participant is given the level enrolling now');
  const journey1 = '/studies/' + p1.study + '/participants/' + p1.participant + '/journey';
  await crc1.goto(p1.base + journey1);
  await crc1.fill('#v-day-1', '2026-10-24');
  await clickAndReload(crc1, 'tr[data-visit="day-1"] button[type="submit"]', 'the dosing visit');
  check((await crc1.textContent('tr[data-visit="day-1"]')).includes('2026-10-24'), 'dosed: the dosing visit took place');
  const inv1 = await signIn(browser, 'inv', p1.base);
  await inv1.goto(p1.base + journey1);
  check((await inv1.textContent('[data-dose-level]')).trim() !== '', 'the journey page shows the dose level');
  await inv1.fill('#nd-description', 'No dose-limiting toxicity in the 28 days after the dose');
  await inv1.fill('#nd-password', data.password);
  await clickAndReload(inv1, '#no-dlt-form button[type="submit"]', 'the DLT assessment');
  check(await inv1.getAttribute('[data-dlt-state]', 'data-dlt-state') === 'no', 'the investigator signed the DLT assessment');

  check(pageErrors.length === 0, 'no script error on any page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  console.log('MEASURE the pages\' own scripts made ' + apiCalls.length + ' POST calls of the API during the walk (live classification and scoring included)');
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
