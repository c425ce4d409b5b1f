// Pictures of every kind of page of the demo at a tablet's (1024 x 768) and a phone's (390 x 844)
// screen, into OUT_DIR with an index (README.md). Run on demand by the ignored test
// `screenshots` in crates/web/tests/web/browser_layout.rs, which serves the demo:
//   cargo test -p web --test web screenshots -- --ignored
// Each kind of page is taken once, as the first demo account (in the order of the data file)
// that reaches it by following links.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { crawl, kind, login } = require('./pages.js');

const BASE = process.env.BASE_URL;
const OUT = process.env.OUT_DIR;
const data = JSON.parse(fs.readFileSync(process.env.DATA_FILE, 'utf8'));
const SIZES = [{ width: 1024, height: 768 }, { width: 390, height: 844 }];

function slug(k) {
  return k.replace(/^\//, '').replace(/#/g, 'n').replace(/\*/g, 'x').replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '') || 'home';
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.unlinkSync(path.join(OUT, f));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const taken = new Map();
  for (const account of data.accounts) {
    const context = await browser.newContext({ viewport: SIZES[0] });
    const page = await context.newPage();
    await login(page, BASE, account.username, account.password);
    await page.goto(BASE + '/language/en?next=/');
    for (const p of await crawl(page, BASE, data.starts, 80)) {
      const k = kind(p);
      if (taken.has(k)) continue;
      const name = slug(k);
      await page.goto(BASE + p);
      const title = await page.title();
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: path.join(OUT, name + '-' + size.width + '.png') });
      }
      await page.setViewportSize(SIZES[0]);
      taken.set(k, { name, path: p, title, account: account.username });
      console.log('ok - ' + p + ' as ' + account.username);
    }
    await context.close();
  }
  await browser.close();

  const rows = Array.from(taken.values()).sort(function (a, b) { return a.path < b.path ? -1 : 1; });
  let text = '# Screenshots of every page\n\n'
    + 'Every kind of page of the demo (`scitrial demo`: the XS228 Phase I and Phase II studies), as\n'
    + 'the first demo account that reaches it by following links, at a tablet\'s screen (1024 x 768)\n'
    + 'and a phone\'s (390 x 844), in Chromium; the top of each page as it first shows. Made by\n'
    + '`crates/web/tests/browser/screenshots.js`:\n\n'
    + '```sh\ncargo test -p web --test web screenshots -- --ignored\n```\n\n'
    + 'which serves a freshly seeded demo and rewrites this folder (dates and names differ from run\n'
    + 'to run: the demo is seeded around the day it runs). ' + rows.length + ' kinds of page.\n\n'
    + '| page | title | as | 1024 px | 390 px |\n|---|---|---|---|---|\n';
  for (const r of rows) {
    text += '| `' + r.path.replace(/\|/g, '%7C') + '` | ' + r.title.replace(/\|/g, '/') + ' | ' + r.account
      + ' | [' + r.name + '-1024.png](' + r.name + '-1024.png) | [' + r.name + '-390.png](' + r.name + '-390.png) |\n';
  }
  fs.writeFileSync(path.join(OUT, 'README.md'), text);
  console.log('wrote ' + rows.length * SIZES.length + ' screenshots and README.md to ' + OUT);
}

main().catch(function (e) { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
