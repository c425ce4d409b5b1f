// The participant's journey in a real browser (run by crates/web/tests/web/browser_journey.rs,
// which starts the server and writes the data file): the DSMB statistician generates the
// randomisation list from its page, the seed shown once; the coordinator screens a participant
// through the screening form with its exam, enrols and randomises (the confirmation first), and
// sees the kit, never the arm; the unblinded pharmacist dispenses the kit from the kits page; the
// investigator unblinds once (a wrong password refused at its field), sees the arm once, and
// not again; in Phase I, the coordinator gives a dose level from the cohort page and the
// investigator signs the DLT assessment. Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the journey browser test took over 3 minutes'); process.exit(1); }, 180000);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

const pageErrors = [];

// Waits until some element of `selector` has text (the page's CSP forbids evaluated strings,
// so this polls through locators).
async function waitText(page, selector) {
  for (let i = 0; i < 100; i++) {
    const texts = await page.locator(selector).allTextContents();
    if (texts.some(function (t) { return t.trim() !== ''; })) return;
    await page.waitForTimeout(100);
  }
  throw new Error('no text in ' + selector);
}

async function signIn(browser, username, base) {
  base = base || BASE;
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', function (e) { pageErrors.push(username + ': ' + e.message); });
  await page.goto(base + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', data.password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
  check(!page.url().includes('/login'), username + ' is signed in at ' + base);
  return page;
}

// Whether the page's text names an arm (the study's public title aside).
async function armShown(page) {
  const text = (await page.textContent('main')).split(data.title).join('');
  return data.arms.some(function (a) { return text.includes(a); });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const list = '/studies/' + data.study + '/participants';

  // The randomisation list: none yet, and nothing to generate for the coordinator.
  const randomisation = '/studies/' + data.study + '/randomisation';
  const crc = await signIn(browser, data.crc);
  await crc.goto(BASE + list);
  await Promise.all([crc.waitForNavigation(), crc.click('a[href="' + randomisation + '"]')]);
  check(await crc.locator('[data-list="none"]').count() === 1, 'the list page says no list exists');
  check(await crc.locator('#generate-form').count() === 0, 'the coordinator cannot generate it');
  // The DSMB statistician generates it: the confirmation first, a bad seed named at its field.
  const stat = await signIn(browser, data.statistician);
  await stat.goto(BASE + randomisation);
  await stat.fill('#g-seed', '12x');
  await stat.click('#generate-form button[type="submit"]');
  check((await stat.textContent('[data-error-for="confirm"]')).trim() !== '', 'generating asks for the confirmation first');
  await stat.check('#generate-confirm');
  await stat.click('#generate-form button[type="submit"]');
  await waitText(stat, '#generate-form [data-error-for="seed"]');
  check(await stat.locator('#generated-seed').isHidden(), 'a bad seed is refused at its field');
  await stat.fill('#g-seed', '20261206');
  await stat.click('#generate-form button[type="submit"]');
  await stat.waitForSelector('#generated-seed', { state: 'visible' });
  check((await stat.textContent('[data-seed]')).trim() === '20261206', 'the seed is shown once');
  await stat.screenshot({ path: path.join(SHOTS, 'journey-randomisation-list.png'), fullPage: true });
  await stat.reload();
  check(await stat.locator('[data-list="generated"]').count() === 1 && await stat.locator('#generate-form').count() === 0, 'the list is generated once');
  check(await stat.locator('[data-arms]').count() === 1, 'the unblinded statistician sees the arms');
  check(!(await stat.textContent('main')).includes('20261206'), 'the seed is not shown again');
  await crc.reload();
  check(await crc.locator('[data-list="generated"]').count() === 1 && await crc.locator('[data-arms]').count() === 0, 'the coordinator sees the list, not its arms');

  // The coordinator: from the list to the screening form.
  await crc.goto(BASE + list);
  await Promise.all([crc.waitForNavigation(), crc.click('a[href="/studies/' + data.study + '/screening"]')]);
  check(await crc.locator('#screening-form').count() === 1, 'the screening form opens from the list');
  await crc.selectOption('#s-site', data.site);
  await crc.fill('#s-number', 'BJ-1');
  await crc.selectOption('#s-sex', 'female');
  await crc.fill('#s-dob', '1990-03-04');
  await crc.fill('#s-injury', '2026-10-01');
  await crc.fill('#s-consent', '2026-10-19');
  await crc.fill('#s-screened', '2026-10-20');
  // A missing exam value is named at its cell.
  const cells = Object.keys(data.exam).filter(function (k) { return !k.startsWith('anal'); });
  for (const k of cells) if (k !== 'c5RightMotor') await crc.fill('#x-' + k, data.exam[k]);
  await crc.selectOption('#x-analContraction', data.exam.analContraction);
  await crc.selectOption('#x-analSensation', data.exam.analSensation);
  await crc.click('#screening-form button[type="submit"]');
  await waitText(crc, '[data-error-for="exam.c5RightMotor"]');
  check(true, 'a missing exam value is shown at its cell');
  await crc.screenshot({ path: path.join(SHOTS, 'journey-screening.png'), fullPage: true });
  await crc.fill('#x-c5RightMotor', data.exam.c5RightMotor);
  for (let i = 0; i < 50 && !(await crc.textContent('#screen-classification')).includes('AIS'); i++) await crc.waitForTimeout(100);
  const live = await crc.textContent('#screen-classification');
  check(live.includes('NLI C6') && live.includes('AIS B'), 'the exam is classified as it is entered (' + live + ')');
  await Promise.all([crc.waitForURL(/\/journey$/), crc.click('#screening-form button[type="submit"]')]);
  const journey = new URL(crc.url()).pathname;
  check(await crc.getAttribute('[data-eligible]', 'data-eligible') === 'true', 'eligibility is computed from the exam');

  // Enrolment.
  await crc.fill('#e-subject', 'XS-BJ1');
  await crc.fill('#e-on', '2026-10-21');
  if (await crc.locator('#e-anchor').count()) await crc.fill('#e-anchor', '2026-10-24');
  await Promise.all([crc.waitForNavigation(), crc.click('#enrol button[type="submit"]')]);
  check(await crc.getAttribute('[data-status]', 'data-status') === 'enrolled', 'the participant is enrolled');

  // Randomisation: refused without the confirmation, then done; the kit shown, no arm.
  await crc.click('#randomise-form button[type="submit"]');
  const confirmError = await crc.textContent('[data-error-for="confirm"]');
  check(confirmError.trim() !== '', 'randomising asks for the confirmation first');
  check(await crc.locator('#randomised-kit').isHidden(), 'nothing was randomised');
  await crc.check('#randomise-confirm');
  await crc.click('#randomise-form button[type="submit"]');
  await crc.waitForSelector('#randomised-kit', { state: 'visible' });
  const kit = (await crc.textContent('[data-new-kit]')).trim();
  check(/^K\d+/.test(kit), 'the kit is shown (' + kit + ')');
  check(!(await armShown(crc)), 'no arm for the coordinator');
  await crc.screenshot({ path: path.join(SHOTS, 'journey-randomised.png'), fullPage: true });
  await crc.reload();
  check((await crc.textContent('[data-kit]')).trim() === kit, 'the journey page keeps the kit');
  check(await crc.locator('#randomise-form').count() === 0, 'randomised once');
  // A correction of the screening data: one that would make the enrolled participant
  // ineligible (injured 4 days before screening) is refused; the sex is corrected.
  await crc.click('#correct summary');
  await crc.selectOption('#c-field', 'injury_date');
  check(await crc.locator('#c-date').isVisible() && await crc.locator('#c-sex').isHidden(), 'a date field takes a date');
  await crc.fill('#c-date', '2026-10-16');
  await crc.fill('#c-reason', 'Date from the emergency department record');
  await crc.click('#correct-form button[type="submit"]');
  await waitText(crc, '#correct-form [data-error-for=""]');
  check((await crc.textContent('[data-field="injury_date"]')).trim() === '2026-10-01', 'a correction that makes the participant ineligible is refused');
  await crc.selectOption('#c-field', 'sex');
  check(await crc.locator('#c-sex').isVisible() && await crc.locator('#c-date').isHidden(), 'the sex is chosen from its values');
  await crc.selectOption('#c-sex', 'male');
  await crc.fill('#c-reason', 'Transcription error');
  await Promise.all([crc.waitForNavigation(), crc.click('#correct-form button[type="submit"]')]);
  const male = (await crc.locator('#c-sex option[value="male"]').textContent()).trim();
  check((await crc.textContent('[data-field="sex"]')).trim() === male, 'the sex is corrected (' + male + ')');
  await crc.goto(BASE + randomisation);
  check((await crc.textContent('[data-allocated]')).trim() === '1', 'the list page counts the randomised participant');
  await crc.goto(BASE + journey);
  // On a phone (390 px) the journey and screening pages do not scroll sideways.
  await crc.setViewportSize({ width: 390, height: 844 });
  for (const p of [journey, '/studies/' + data.study + '/screening']) {
    await crc.goto(BASE + p);
    const width = await crc.evaluate(function () { return document.documentElement.scrollWidth; });
    check(width <= 391, p + ' fits 390 px (' + width + ')');
  }
  await crc.screenshot({ path: path.join(SHOTS, 'journey-screening-390.png'), fullPage: true });
  await crc.setViewportSize({ width: 1024, height: 900 });
  await crc.goto(BASE + list);
  check((await crc.textContent('main')).includes(kit), 'the list shows the kit');
  check(!(await armShown(crc)), 'no arm in the list');

  // The pharmacist: the kit to prepare, with its arm; dispensing.
  const pharm = await signIn(browser, data.pharmacist);
  await pharm.goto(BASE + list);
  await Promise.all([pharm.waitForNavigation(), pharm.click('a[href="/studies/' + data.study + '/kits"]')]);
  const row = pharm.locator('tr[data-kit-row="' + kit + '"]');
  check(await row.count() === 1, 'the kit is listed to prepare');
  check(data.arms.includes((await row.locator('[data-arm]').textContent()).trim()), 'with its arm, for the pharmacist');
  await row.locator('input[name="kit_number"]').fill('K0000000');
  await row.locator('button[type="submit"]').click();
  await waitText(pharm, 'tr[data-kit-row="' + kit + '"] [data-error-for]');
  check(true, 'a wrong kit number is refused at its field');
  await row.locator('input[name="kit_number"]').fill(kit);
  await Promise.all([pharm.waitForNavigation(), row.locator('button[type="submit"]').click()]);
  check(await pharm.locator('tr[data-kit-row="' + kit + '"] [data-dispensed-at]').count() === 1, 'the kit is dispensed');
  await pharm.screenshot({ path: path.join(SHOTS, 'journey-kits.png'), fullPage: true });

  // The investigator: emergency unblinding, with the warning; a wrong password first.
  const inv = await signIn(browser, data.investigator);
  await inv.goto(BASE + journey);
  check(!(await armShown(inv)), 'no arm for the investigator before unblinding');
  await inv.click('#unblinding summary');
  check((await inv.textContent('#unblinding .notice')).length > 40, 'the warning is shown');
  await inv.fill('#u-reason', 'Anaphylaxis: the treating physician must know the treatment');
  await inv.fill('#u-password', 'not the password');
  await inv.click('#unblind-form button[type="submit"]');
  await waitText(inv, '#unblind-form [data-error-for]');
  check(await inv.locator('#unblinded-arm').isHidden(), 'a wrong password reveals nothing');
  await inv.fill('#u-password', data.password);
  await inv.click('#unblind-form button[type="submit"]');
  await inv.waitForSelector('#unblinded-arm', { state: 'visible' });
  const arm = (await inv.textContent('[data-revealed-arm]')).trim();
  check(data.arms.includes(arm), 'the arm is shown once (' + arm + ')');
  await inv.screenshot({ path: path.join(SHOTS, 'journey-unblinded.png'), fullPage: true });
  await inv.reload();
  check(await inv.locator('#unblind-form').count() === 0, 'no second unblinding is offered');
  check(await inv.locator('[data-unblinded]').count() === 1, 'the page says the participant was unblinded');
  check(!(await armShown(inv)), 'the arm is not shown again');
  await inv.goto(BASE + list);
  check(await inv.locator('[data-list-unblinded]').count() === 1, 'the list marks the unblinded participant');

  // Phase I: the coordinator gives the level enrolling now from the cohort page; the
  // investigator signs that no DLT occurred in the window; the cohort page shows it.
  const p1 = data.phase1;
  const cohortsPath = '/studies/' + p1.study + '/cohorts';
  const crc1 = await signIn(browser, data.crc, p1.base);
  await crc1.goto(p1.base + cohortsPath);
  const waiting = crc1.locator('li[data-waiting="' + p1.participant + '"]');
  check(await waiting.count() === 1, 'the enrolled participant waits for a dose level');
  await Promise.all([crc1.waitForNavigation(), waiting.locator('button[type="submit"]').click()]);
  const member = crc1.locator('tr[data-member="' + p1.participant + '"]');
  check(await member.count() === 1, 'the participant is at a level');
  check(await member.locator('[data-dlt-state]').getAttribute('data-dlt-state') === 'pending', 'its DLT assessment is pending');
  await crc1.screenshot({ path: path.join(SHOTS, 'journey-cohorts.png'), fullPage: true });
  const inv1 = await signIn(browser, data.investigator, p1.base);
  await inv1.goto(p1.base + '/studies/' + p1.study + '/participants/' + p1.participant + '/journey');
  check((await inv1.textContent('[data-dose-level]')).trim() !== '', 'the journey page shows the dose level');
  await inv1.fill('#nd-description', 'No dose-limiting toxicity in the 28 days after the dose');
  await inv1.fill('#nd-password', data.password);
  await Promise.all([inv1.waitForNavigation(), inv1.click('#no-dlt-form button[type="submit"]')]);
  check(await inv1.getAttribute('[data-dlt-state]', 'data-dlt-state') === 'no', 'the signed assessment is shown');
  await crc1.reload();
  check(await member.locator('[data-dlt-state]').getAttribute('data-dlt-state') === 'no', 'the cohort page shows the signed assessment');

  check(pageErrors.length === 0, 'no script error on any page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
