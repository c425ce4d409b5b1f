// The safety pages in a real browser (run by crates/web/tests/web/browser_safety.rs, which
// starts the server over the seeded demo and writes the data file). The safety physician sees
// the open clocks with the overdue SUSAR first and records the sponsor's assessment;
// pharmacovigilance opens the case and sees the arm; a coordinator cannot reach the case.
// Exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR || '.';
const stopper = setTimeout(function () { console.error('FAIL: the safety browser test took over 2 minutes'); process.exit(1); }, 120000);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

async function signIn(browser, username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', 'demo-' + username);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
  check(!page.url().includes('/login'), username + ' is signed in');
  return page;
}

// Whether a text names an arm; `secret` only the arms that the study's public id and title do
// not spell (the product's name is public, an allocation to it is not), case-insensitively.
function armNamed(text, secret) {
  const lower = text.toLowerCase();
  return (secret ? data.secretArms : data.arms).some(function (a) { return lower.includes(a.toLowerCase()); });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const clocksPath = '/studies/' + data.study + '/safety';
  const casePath = clocksPath + '/cases/' + data.overdue;

  // The safety physician: the nav link, the clocks with the overdue SUSAR first.
  const sp = await signIn(browser, 'safety-physician');
  await sp.goto(BASE + '/studies/' + data.study);
  check(await sp.locator('nav a[href="' + clocksPath + '"]').count() === 1, 'the safety link is in the navigation');
  await sp.click('nav a[href="' + clocksPath + '"]');
  await sp.waitForSelector('#clocks');
  const rows = sp.locator('#clocks tbody tr');
  check(await rows.count() >= 2, 'the clocks are listed (' + await rows.count() + ')');
  const first = rows.first();
  check((await first.getAttribute('class')).includes('overdue'), 'the first clock is overdue');
  check(await first.getAttribute('data-ae') === String(data.overdue), 'the first clock is the overdue SUSAR');
  check(Number(await first.locator('.days-left').textContent()) < 0, 'its days left are negative');
  const overdue = await sp.locator('#clocks tr.overdue').count();
  const afterOverdue = await sp.$$eval('#clocks tbody tr', function (trs) {
    let seenOpen = false;
    for (const tr of trs) {
      if (!tr.classList.contains('overdue')) seenOpen = true;
      else if (seenOpen) return false;
    }
    return true;
  });
  check(overdue >= 1 && afterOverdue, 'overdue clocks come before the others');
  check(!armNamed(await sp.content(), true), 'no arm on the clocks page');
  await sp.screenshot({ path: path.join(SHOTS, 'safety-clocks.png'), fullPage: true });

  // Its case: both assessments side by side; the physician changes the sponsor's causality.
  await Promise.all([sp.waitForNavigation(), first.locator('a.case-link').click()]);
  check(sp.url().endsWith(casePath), 'the row links to the case');
  check(await sp.locator('#arm').count() === 0 && !armNamed(await sp.content(), true), 'no arm for the safety physician');
  check(await sp.locator('#classification').textContent().then(function (t) { return t.includes('SUSAR'); }), 'the case is a SUSAR');
  await sp.selectOption('#causality', 'definite');
  await sp.selectOption('#expectedness', 'unexpected');
  await sp.fill('#reason', 'Narrative read again with the discharge letter');
  await Promise.all([sp.waitForNavigation(), sp.click('form.sponsor-assessment button[type="submit"]')]);
  const sponsorCell = await sp.locator('#assessments tbody tr').first().locator('td').nth(1).textContent();
  check(sponsorCell.trim() === 'Definite', 'the sponsor\'s causality is recorded (' + sponsorCell.trim() + ')');
  const investigatorCell = await sp.locator('#assessments tbody tr').first().locator('td').first().textContent();
  check(investigatorCell.trim() === 'Possible', 'the investigator\'s stays (' + investigatorCell.trim() + ')');
  await sp.screenshot({ path: path.join(SHOTS, 'safety-case.png'), fullPage: true });

  // Pharmacovigilance: the arm of the SUSAR, and the form to record a report.
  const pv = await signIn(browser, 'pharmacovigilance');
  await pv.goto(BASE + casePath);
  const arm = await pv.locator('#arm').textContent();
  check(armNamed(arm, false), 'pharmacovigilance sees the arm (' + arm.trim() + ')');
  check(await pv.locator('form.expedited-report').count() === 1, 'pharmacovigilance can record a report');
  await pv.selectOption('#authority', 'cde');
  await pv.selectOption('#kind', 'initial');
  await Promise.all([pv.waitForNavigation(), pv.click('form.expedited-report button[type="submit"]')]);
  check(await pv.locator('#reports tbody tr').count() === 1, 'the report is listed');

  // Pharmacovigilance exports the expedited report from the case's page: the E2B(R3) message
  // and the Chinese narrative, as downloads.
  async function download(selector) {
    const [file] = await Promise.all([pv.waitForEvent('download'), pv.click(selector)]);
    const stream = await file.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { name: file.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
  }
  const xml = await download('#e2b a[href$="authority=cde"]');
  check(xml.name.endsWith('.xml'), 'the E2B(R3) message is an XML file (' + xml.name + ')');
  check(xml.text.startsWith('<?xml') && xml.text.includes('MCCI_IN200100UV01') && xml.text.includes('PORR_IN049016UV'),
    'the download is the E2B(R3) batch with its ICSR');
  check(armNamed(xml.text, false), 'the message carries the actual treatment');
  const zh = await download('#e2b a[href$="lang=zh"]');
  check(zh.name.endsWith('.html') && zh.text.includes('lang="zh'), 'the Chinese narrative downloads (' + zh.name + ')');

  // A coordinator cannot reach the case.
  const crc = await signIn(browser, 'crc');
  const response = await crc.goto(BASE + casePath);
  check(response.status() === 403, 'the coordinator is refused the case (' + response.status() + ')');
  check(!armNamed(await crc.content(), true), 'no arm for the coordinator');

  await browser.close();
  clearTimeout(stopper);
}

main().catch(function (e) { console.error('FAIL: ' + e.message); process.exit(1); });
