// Every page of the demo, found by following its links as each demo account: the shared walk of
// the layout test (layout.test.js) and of the screenshots (screenshots.js).
'use strict';

// Links that are not pages to look at: the API, downloads, language switches, static files.
function isPage(url, base) {
  if (!url.startsWith(base + '/')) return false;
  const path = url.slice(base.length).split('#')[0];
  return !/^\/(api|language|static|login)\b/.test(path) && !/\.(csv|xml|ico|svg|png)\b/.test(path)
    && !/\/(e2b|narrative)\b/.test(path);
}

// One page of each kind: numbers (participants, events) and a visit's id do not make another
// kind; a form's id does (each form has its own layout). The query string does not count.
function kind(path) {
  return path.split('?')[0]
    .replace(/\/visits\/[^/]+/, '/visits/*')
    .split('/').map(function (s) { return /^\d+$/.test(s) ? '#' : s; }).join('/');
}

async function login(page, base, username, password) {
  await page.goto(base + '/login');
  await page.fill('input[name="username"]', username);
  await page.fill('input[type="password"]', password);
  await Promise.all([page.waitForNavigation(), page.press('input[type="password"]', 'Enter')]);
}

// The pages an account reaches from `starts` by following links, one of each kind, in the
// order found (at most `limit`). Returns paths. `visit(path)`, when given, is awaited on each
// page found while it is shown.
async function crawl(page, base, starts, limit, visit) {
  const seen = new Set();
  const queue = starts.slice();
  const found = [];
  while (queue.length && found.length < limit) {
    const path = queue.shift();
    const k = kind(path);
    if (seen.has(k)) continue;
    seen.add(k);
    const response = await page.goto(base + path);
    if (!response || response.status() !== 200) continue;
    // A redirect (a form of another kind, a study's start) counts as the page it lands on.
    const at = page.url().slice(base.length);
    if (kind(at) !== k) {
      if (seen.has(kind(at))) continue;
      seen.add(kind(at));
    }
    found.push(at);
    if (visit) await visit(at);
    const links = await page.$$eval('a[href]', function (as) { return as.map(function (a) { return a.href; }); });
    for (const url of links) {
      if (isPage(url, base)) queue.push(url.slice(base.length).split('#')[0]);
    }
  }
  return found;
}

module.exports = { crawl, kind, login };
