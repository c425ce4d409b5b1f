// No English on a Chinese page (run by crates/web/tests/web/browser_chinese.rs, which seeds the
// demo's two studies and writes the data file). Each demo role signs in, chooses 中文 and walks
// every page it can reach by following the pages' own links from its start, in both studies
// (pages of the same shape — the same path with other ids — are visited twice at most). On each
// page the visible text, the titles, placeholders and labels for assistive technology are read;
// any run of ASCII letters that is an English word is a failure, naming the page and the text.
//
// What is not an English word, by rule: a run written in capitals (codes and abbreviations:
// ASIA, AIS, NLI, ISNCSCI, SCIM, WISCI, DLT, MAD, NT), a run joined to digits (C5, T12,
// XS228-P1, NCT06976229, week-12 is not: `week` is a word), the units of the allowlist, and
// what the data file lists as data (login names, people's names, participant and kit numbers,
// identifiers), and time-zone names (IANA's `Asia/Shanghai`, `America/New_York`, and `UTC`),
// which the pages show beside every time, as codes. Text marked as being in English (`lang="en"`: the language switch, the terms of
// the English-only dictionaries CTCAE and MedDRA) and records shown as kept (`translate="no"`:
// what people typed, the audit trail's values) is skipped.
// Then a refused save on a Chinese page must be shown in Chinese. Three roles walk at once, each
// in a browser context of its own.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const stopper = setTimeout(function () { console.error('FAIL: the Chinese pages test took over 9 minutes'); process.exit(1); }, 540000);

// Units and symbols written with Latin letters in Chinese clinical text too.
const UNITS = ['mmHg', 'kg', 'cm', 'mm', 'mg', 'ml', 'mL', 'min', 'bpm', 'cells', 'SpO', 'h'];
const DATA = new Set([].concat(UNITS, data.data || []).map(function (w) { return w.toLowerCase(); }));

// How many roles walk at once.
const WORKERS = 3;
const failures = [];
function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok - ' + what);
}

// The English words of a text: runs of two or more ASCII letters (with inner `'`), taken with
// what joins them to their neighbours, that are neither capitals, nor joined to digits, nor data.
// Names of several words given as data (people's names) are taken out whole first.
const PHRASES = (data.data || []).filter(function (w) { return /\s/.test(w); })
  .sort(function (a, b) { return b.length - a.length; });

const ZONE = /\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z_+\-]+(?:\/[A-Za-z_+\-]+)?/g;

function englishWords(text) {
  for (const p of PHRASES) text = text.split(p).join(' ');
  text = text.replace(ZONE, ' ');
  const out = [];
  const re = /[A-Za-z0-9_.@\-]*[A-Za-z][A-Za-z0-9_.@\-]*/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const token = m[0].replace(/^[.\-]+|[.\-]+$/g, '');
    if (DATA.has(token.toLowerCase())) continue;
    if (/@/.test(token)) continue; // an e-mail address
    for (const part of token.split(/[\-_.]/)) {
      if (!/[a-z]/.test(part)) continue; // capitals or digits: a code
      if (/[0-9]/.test(part)) continue; // letters joined to digits: a code (C5, e2b)
      if (part.length < 2) continue;
      if (DATA.has(part.toLowerCase())) continue;
      if (DATA.has(token.toLowerCase())) continue;
      out.push(token);
      break;
    }
  }
  return out;
}

// The text a reader of the page meets, without what is marked as English.
async function pageTexts(page) {
  return page.evaluate(function () {
    const texts = [];
    function skipped(el) { return el.closest('[lang="en"], [translate="no"], script, style, noscript, template'); }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const el = node.parentElement;
      if (!el || skipped(el)) continue;
      const text = node.textContent.trim();
      if (!text) continue;
      // Hidden text counts too: it is shown on some action (a dialog, an error, a details).
      texts.push(text);
    }
    for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], input[type="submit"][value], input[type="button"][value]')) {
      if (skipped(el)) continue;
      for (const a of ['title', 'placeholder', 'aria-label']) if (el.getAttribute(a)) texts.push(el.getAttribute(a));
      if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button')) texts.push(el.value);
    }
    for (const opt of document.querySelectorAll('option')) if (!skipped(opt)) texts.push(opt.textContent.trim());
    texts.push(document.title);
    return texts;
  });
}

// A page's shape: its path with every segment that holds a digit or is an id given as data
// made general, so that one participant's page stands for all.
function shape(url) {
  const u = new URL(url);
  const path = u.pathname.split('/').map(function (s) {
    return /[0-9]/.test(s) || DATA.has(decodeURIComponent(s).toLowerCase()) ? '*' : s;
  }).join('/');
  const keys = Array.from(u.searchParams.keys()).sort().join('&');
  return path + '?' + keys;
}

function followable(href) {
  if (!href.startsWith(BASE + '/')) return false;
  const u = new URL(href);
  if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/static/')) return false;
  if (u.pathname.startsWith('/language/')) return false;
  if (/\.(csv|xml|json|html|svg|png|ico)$/.test(u.pathname) || u.searchParams.get('format')) return false;
  if (u.pathname.endsWith('/download') || u.pathname.endsWith('.csv')) return false;
  return true;
}

async function login(page, username, password) {
  await page.goto(BASE + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
}

async function walk(browser, user) {
  const started = Date.now();
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  await login(page, user, 'demo-' + user);
  await page.goto(BASE + '/language/zh?next=/');
  check(await page.getAttribute('html', 'lang') === 'zh-Hans', user + ' chose Chinese');
  const seen = new Set();
  const shapes = new Map();
  const queue = [page.url()];
  for (const s of data.starts) queue.push(BASE + s);
  let visited = 0;
  while (queue.length > 0 && visited < data.max_pages) {
    const url = queue.shift().split('#')[0];
    if (seen.has(url)) continue;
    seen.add(url);
    const key = shape(url);
    const count = shapes.get(key) || 0;
    if (count >= 2) continue;
    shapes.set(key, count + 1);
    const response = await page.goto(url);
    if (!response || response.status() >= 400) continue; // a page this role may not see
    if (!page.url().startsWith(BASE) || page.url().includes('/login')) continue;
    visited += 1;
    const words = [];
    for (const text of await pageTexts(page)) {
      const english = englishWords(text);
      if (english.length > 0) words.push(JSON.stringify(text.slice(0, 120)) + ' [' + english.join(' ') + ']');
    }
    if (words.length > 0) {
      failures.push(user + ' ' + url.slice(BASE.length) + ':\n    ' + Array.from(new Set(words)).slice(0, 40).join('\n    '));
    }
    const links = await page.$$eval('a[href]', function (as) { return as.map(function (a) { return a.href; }); });
    for (const href of links) if (followable(href) && !seen.has(href.split('#')[0])) queue.push(href);
  }
  console.log('ok - ' + user + ': ' + visited + ' Chinese pages read (' + ((Date.now() - started) / 1000).toFixed(1) + ' s)');
  check(visited >= 3, user + ' reached its pages');
  await context.close();
}

async function refusedSave(browser) {
  // A vital signs form saved with a value out of range: the refusal is shown in Chinese.
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  await login(page, data.refusal.user, 'demo-' + data.refusal.user);
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
  const english = englishWords(shown);
  check(english.length === 0, 'the refusal has no English (' + english.join(' ') + ')');
  await context.close();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  // The roles walk WORKERS at a time, each in its own context.
  const queue = data.users.slice();
  const worker = async function () {
    for (let user = queue.shift(); user; user = queue.shift()) await walk(browser, user);
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  await refusedSave(browser);
  await browser.close();
  if (failures.length > 0) {
    console.error('FAIL: English on Chinese pages:\n' + failures.join('\n'));
    process.exit(1);
  }
  console.log('ok - no English on any Chinese page');
}

main().then(function () { clearTimeout(stopper); }, function (e) {
  console.error('FAIL: ' + (e && e.stack || e));
  if (failures.length > 0) console.error('English on Chinese pages:\n' + failures.join('\n'));
  process.exit(1);
});
