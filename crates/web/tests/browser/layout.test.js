// The layout on a phone (390 px) and a tablet (1024 px), and no English on a Chinese page, in
// one walk run by crates/web/tests/web/browser_layout.rs over the demo's two studies.
//
// Layout: every page each demo account reaches by its links, in English and in Chinese, at both
// widths: no sideways scrolling of the page, a compact header, instants in one style
// (`2026-12-06 17:58 (Asia/Shanghai)`: never RFC 3339, never a.m./p.m.). Then the worksheet at
// 1024 px: the live classification stays in view while the last row is typed.
//
// Chinese: each account, having chosen 中文, walks every page it can reach by following the
// pages' own links from its start, in both studies (pages of the same shape — the same path
// with other ids — are visited twice at most); on each page the visible text, the titles,
// placeholders and labels for assistive technology are read, and an English word (the rule is
// in chinese.js) is a failure naming the page and the text. Then a refused save on a Chinese
// page must be shown in Chinese.
//
// One page load serves both checks: an account's English pages are checked as its crawl
// reaches them; then its Chinese crawl checks each page for English, and for the layout each
// page the English crawl found (those the Chinese crawl did not reach are loaded after it).
// Three accounts walk at once, each in a browser context of its own. Prints every failure,
// then exits non-zero if there was one.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');
const { crawl, login } = require('./pages.js');
const { rule, followable } = require('./chinese.js');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const WIDTHS = [{ width: 1024, height: 768 }, { width: 390, height: 844 }];
// The header may take at most this many pixels (a phone's 844 px screen: under a sixth).
const HEADER_LIMIT = { 1024: 120, 390: 140 };
// How many accounts walk at once.
const WORKERS = 3;
const stopper = setTimeout(function () { console.error('FAIL: the layout and Chinese test took over 40 minutes'); process.exit(1); }, 2400000);
const chinese = rule(data.data);

const failures = [];
function fail(what) { failures.push(what); console.log('not ok - ' + what); }
function check(ok, what) {
  if (ok) console.log('ok - ' + what);
  else fail(what);
}

// English on the Chinese page shown, as a failure naming the account and the page.
async function checkChinese(page, path, who) {
  const words = await chinese.englishOn(page);
  if (words.length > 0) fail('English on a Chinese page: ' + who + ' ' + path + ':\n    ' + words.slice(0, 40).join('\n    '));
}

// What a page shows that the layout rules forbid, at the current width.
async function problems(page, width) {
  return page.evaluate(function (args) {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth) {
      // Name the widest elements that stick out, to say what to fix.
      const wide = [];
      const clipped = function (el) {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
      };
      for (const el of document.querySelectorAll('body *')) {
        if (clipped(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.right > window.innerWidth + 1 && r.width > 0) {
          const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
          wide.push(name + ' (' + Math.round(r.right) + ')');
        }
      }
      out.push('scrolls sideways: ' + doc.scrollWidth + ' > ' + window.innerWidth + ' [' + wide.slice(0, 4).join(', ') + ']');
    }
    const header = document.querySelector('header.top');
    if (header && header.getBoundingClientRect().height > args.limit) {
      out.push('header ' + Math.round(header.getBoundingClientRect().height) + ' px tall (limit ' + args.limit + ')');
    }
    const text = document.body.innerText;
    const rfc = text.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^\s]*/);
    if (rfc) out.push('an RFC 3339 instant is shown: ' + rfc[0]);
    const twelve = text.match(/\b\d{1,2}:\d{2}(:\d{2})?\s?(AM|PM|a\.m\.|p\.m\.)|(上午|下午)\s?\d{1,2}:\d{2}/i);
    if (twelve) out.push('a 12-hour time is shown: ' + twelve[0]);
    for (const t of document.querySelectorAll('time')) {
      if (!/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2} \([A-Za-z_]+(\/[A-Za-z_+-]+)*\))?$/.test(t.textContent.trim())) {
        out.push('a time not in the one style: "' + t.textContent.trim() + '"');
      }
    }
    return out;
  }, { limit: HEADER_LIMIT[width] });
}

async function checkAt(page, path, lang, who) {
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    for (const p of await problems(page, size.width)) {
      fail(who + ' ' + lang + ' ' + size.width + 'px ' + path + ': ' + p);
    }
  }
  await page.setViewportSize(WIDTHS[0]);
}

// The worksheet at a tablet's width: every cell but the last entered, the page scrolled to the
// last row, the last value typed: the classification appears, and its box is in view.
async function stickyClassification(browser) {
  // (The content security policy is bypassed so that waitForFunction may evaluate.)
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, bypassCSP: true });
  const page = await context.newPage();
  await login(page, BASE, 'crc', 'demo-crc');
  await page.goto(BASE + '/isncsci');
  const names = await page.$$eval('input.cell', function (els) { return els.map(function (e) { return e.name; }); });
  // The last row is S4-5; its last cell in the page's order is the one typed last.
  const last = names.filter(function (n) { return /^s4_5/.test(n); }).pop();
  if (!last) fail('the worksheet has an S4-5 row');
  for (const name of names.filter(function (n) { return n !== last; })) {
    await page.fill('[name="' + name + '"]', /Motor$/.test(name) ? '5' : '2');
  }
  await page.selectOption('[name="analContraction"]', 'Yes');
  await page.selectOption('[name="analSensation"]', 'Yes');
  const ais = '[data-result="asiaImpairmentScale"]';
  await page.waitForTimeout(300);
  if ((await page.textContent(ais)).trim() !== '') fail('the grade shows before every value is entered');
  await page.locator('[name="' + last + '"]').scrollIntoViewIfNeeded();
  await page.click('[name="' + last + '"]');
  const scrolled = await page.evaluate(function () { return window.scrollY; });
  if (scrolled < 100) fail('the last row of the worksheet was already in view at 1024x768 (scrollY ' + scrolled + '): the test proves nothing');
  await page.keyboard.type('1');
  await page.waitForFunction(function (sel) { return document.querySelector(sel).textContent.trim() !== ''; }, ais, { timeout: 10000 });
  const where = await page.evaluate(function (sel) {
    const box = document.querySelector('.ws-side .results').getBoundingClientRect();
    const grade = document.querySelector(sel).getBoundingClientRect();
    const input = document.activeElement.getBoundingClientRect();
    return { top: box.top, bottom: box.bottom, gradeTop: grade.top, gradeBottom: grade.bottom, inputTop: input.top, inputBottom: input.bottom, height: window.innerHeight, text: document.querySelector(sel).textContent.trim() };
  }, ais);
  const inView = function (top, bottom) { return top >= 0 && bottom <= where.height; };
  if (!inView(where.top, where.bottom)) fail('the classification box is out of view while typing the last row: ' + JSON.stringify(where));
  else if (!inView(where.gradeTop, where.gradeBottom)) fail('the grade is out of view: ' + JSON.stringify(where));
  else if (!inView(where.inputTop, where.inputBottom)) fail('the cell typed in is out of view: ' + JSON.stringify(where));
  else console.log('ok - at 1024x768, scrolled ' + scrolled + ' px to the S4-5 row, the classification box stays in view and shows AIS ' + where.text);
  await context.close();
}

// One account's walk in a context of its own: signed in, in English, the pages it reaches by its
// links (each checked for the layout as the crawl lands on it); then in Chinese, the pages it
// reaches by links from its Chinese starts (each checked for English; those the English crawl
// found checked for the layout too), then the English crawl's pages the Chinese one missed.
async function walk(browser, account, pageErrors) {
  const started = Date.now();
  const who = account.username;
  const context = await browser.newContext({ viewport: WIDTHS[0] });
  const page = await context.newPage();
  page.on('pageerror', function (e) { pageErrors.push(who + ': ' + String(e)); });
  await login(page, BASE, who, account.password);
  let pages = 0;
  await page.goto(BASE + '/language/en?next=/');
  const paths = await crawl(page, BASE, data.starts, 80, async function (path) {
    await checkAt(page, path, 'en', who);
    pages += 1;
  });
  const layoutPaths = new Set(paths);
  const laidOut = new Set();

  await page.goto(BASE + '/language/zh?next=/');
  check(await page.getAttribute('html', 'lang') === 'zh-Hans', who + ' chose Chinese');
  const seen = new Set();
  const shapes = new Map();
  const queue = [page.url()];
  for (const s of data.zh_starts) queue.push(BASE + s);
  let visited = 0;
  while (queue.length > 0 && visited < data.max_pages) {
    const url = queue.shift().split('#')[0];
    if (seen.has(url)) continue;
    seen.add(url);
    const key = chinese.shape(url);
    const count = shapes.get(key) || 0;
    if (count >= 2) continue;
    shapes.set(key, count + 1);
    const response = await page.goto(url);
    if (!response || response.status() >= 400) continue; // a page this role may not see
    if (!page.url().startsWith(BASE) || page.url().includes('/login')) continue;
    visited += 1;
    const path = page.url().split('#')[0].slice(BASE.length);
    await checkChinese(page, path, who);
    if (response.status() === 200 && layoutPaths.has(path) && !laidOut.has(path)) {
      laidOut.add(path);
      await checkAt(page, path, 'zh', who);
      pages += 1;
    }
    const links = await page.$$eval('a[href]', function (as) { return as.map(function (a) { return a.href; }); });
    for (const href of links) if (followable(href, BASE) && !seen.has(href.split('#')[0])) queue.push(href);
  }
  check(visited >= 3, who + ' reached its pages in Chinese (' + visited + ')');
  for (const path of paths) {
    if (laidOut.has(path)) continue;
    const response = await page.goto(BASE + path);
    if (!response || response.status() !== 200) { fail(who + ' ' + path + ': status ' + (response && response.status())); continue; }
    await checkAt(page, path, 'zh', who);
    await checkChinese(page, path, who);
    pages += 1;
  }
  console.log('ok - ' + who + ': ' + paths.length + ' kinds of page, both languages, both widths; ' + visited +
    ' Chinese pages read (' + ((Date.now() - started) / 1000).toFixed(1) + ' s)');
  await context.close();
  return pages;
}

// A vital signs form saved with a value out of range: the refusal is shown in Chinese.
async function refusedSave(browser) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  const user = data.refusal.user;
  await login(page, BASE, user, data.accounts.find(function (a) { return a.username === user; }).password);
  await page.goto(BASE + '/language/zh?next=' + encodeURIComponent(data.refusal.form));
  await page.fill('#crf [name="systolic_bp"]', '400');
  await page.fill('#crf [name="diastolic_bp"]', '80');
  const answer = page.waitForResponse(function (r) { return r.request().method() === 'POST' && r.url().includes('/api/') && !r.url().includes('score'); });
  await page.click('#crf button[data-save="complete"]');
  if (await page.locator('#reason-dialog').isVisible()) {
    await page.fill('#reason', '核对原始记录后更正');
    await page.click('#reason-ok');
  }
  await answer;
  await page.waitForTimeout(300);
  const shown = await page.evaluate(function () {
    return [document.getElementById('e-systolic_bp').textContent.trim(), document.getElementById('save-status').textContent.trim()]
      .filter(Boolean).join(' | ');
  });
  console.log('the refusal shown: ' + shown);
  check(/[\u4e00-\u9fff]/.test(shown), 'the refused save is explained in Chinese');
  const english = chinese.englishWords(shown);
  check(english.length === 0, 'the refusal has no English (' + english.join(' ') + ')');
  await context.close();
}

async function main() {
  const started = Date.now();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const pageErrors = [];
  let pages = 0;
  // The accounts walk WORKERS at a time, each in its own context (the server and Chromium then
  // both have work while the other waits).
  const queue = data.accounts.slice();
  const worker = async function () {
    for (let account = queue.shift(); account; account = queue.shift()) {
      const checked = await walk(browser, account, pageErrors);
      pages += checked;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  console.log('checked ' + pages + ' page views at ' + WIDTHS.map(function (w) { return w.width; }).join(' and ') + ' px in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
  if (pages < data.accounts.length * 10) fail('only ' + pages + ' page views were checked');
  await stickyClassification(browser);
  await refusedSave(browser);
  for (const e of pageErrors) fail('script error: ' + e);
  await browser.close();
  clearTimeout(stopper);
  if (failures.length) {
    console.error(failures.length + ' failure(s):\n' + failures.join('\n'));
    process.exit(1);
  }
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
