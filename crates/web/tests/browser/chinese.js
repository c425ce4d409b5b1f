// What counts as English on a Chinese page: the rule of the Chinese pass of the layout walk
// (layout.test.js). Any run of ASCII letters that is an English word is a failure.
//
// What is not an English word, by rule: a run written in capitals (codes and abbreviations:
// ASIA, AIS, NLI, ISNCSCI, SCIM, WISCI, DLT, MAD, NT), a run joined to digits (C5, T12,
// XS228-P1, NCT06976229, week-12 is not: `week` is a word), the units of the allowlist, and
// what the data file lists as data (login names, people's names, participant and kit numbers,
// identifiers), and time-zone names (IANA's `Asia/Shanghai`, `America/New_York`, and `UTC`),
// which the pages show beside every time, as codes. Text marked as being in English
// (`lang="en"`: the language switch, the terms of the English-only dictionaries CTCAE and
// MedDRA) and records shown as kept (`translate="no"`: what people typed, the audit trail's
// values) is skipped.
'use strict';

// Units and symbols written with Latin letters in Chinese clinical text too.
const UNITS = ['mmHg', 'kg', 'cm', 'mm', 'mg', 'ml', 'mL', 'min', 'bpm', 'cells', 'SpO', 'h'];

const ZONE = /\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z_+\-]+(?:\/[A-Za-z_+\-]+)?/g;

// The rule over `words`, the data file's words that are data, not text of the pages.
function rule(words) {
  const DATA = new Set([].concat(UNITS, words || []).map(function (w) { return w.toLowerCase(); }));
  // Names of several words given as data (people's names) are taken out whole first.
  const PHRASES = (words || []).filter(function (w) { return /\s/.test(w); })
    .sort(function (a, b) { return b.length - a.length; });

  // The English words of a text: runs of two or more ASCII letters (with inner `'`), taken
  // with what joins them to their neighbours, that are neither capitals, nor joined to digits,
  // nor data.
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

  // The text of the page shown that is English: one line per text holding English words.
  async function englishOn(page) {
    const words = [];
    for (const text of await pageTexts(page)) {
      const english = englishWords(text);
      if (english.length > 0) words.push(JSON.stringify(text.slice(0, 120)) + ' [' + english.join(' ') + ']');
    }
    return Array.from(new Set(words));
  }

  return { englishWords, englishOn, shape };
}

// The text a reader of the page meets, without what is marked as English: the visible text
// (hidden text counts too: it is shown on some action, a dialog, an error, a details), the
// titles, placeholders, labels for assistive technology, buttons and options, and the title.
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

// Links the Chinese pass follows: pages of the server, not the API, static files, language
// switches or downloads.
function followable(href, base) {
  if (!href.startsWith(base + '/')) return false;
  const u = new URL(href);
  if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/static/')) return false;
  if (u.pathname.startsWith('/language/')) return false;
  if (/\.(csv|xml|json|html|svg|png|ico)$/.test(u.pathname) || u.searchParams.get('format')) return false;
  if (u.pathname.endsWith('/download') || u.pathname.endsWith('.csv')) return false;
  return true;
}

module.exports = { rule, followable };
