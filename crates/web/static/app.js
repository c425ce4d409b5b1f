// scitrial pages: the session's idle warning, signing out, writes through the API. (Instants
// are formatted by the server, in the site's zone with the zone named: pages/when.rs.)
'use strict';
(function () {
  const body = document.body;
  const messages = JSON.parse(body.dataset.messages || '{}');
  function msg(key) { return messages[key] || key; }
  window.scitrial = window.scitrial || {};
  window.scitrial.msg = msg;
  // Every call of the API from a page says the page's language, so that a refusal comes back
  // in it (the JSON error shape, its messages translated).
  const pageLang = document.documentElement.lang === 'zh-Hans' ? 'zh' : 'en';
  const plainFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.startsWith('/api/') || url.startsWith(location.origin + '/api/')) {
      init = Object.assign({}, init);
      const headers = new Headers(init.headers || {});
      headers.set('X-Scitrial-Lang', pageLang);
      init.headers = headers;
    }
    return plainFetch(input, init);
  };
  window.scitrial.csrf = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  };

  // Sessions end after the idle time; warn five minutes before, offer to stay.
  if (body.dataset.signedIn) {
    const idle = Number(body.dataset.idleSeconds || 1800) * 1000;
    const banner = document.getElementById('session-banner');
    let warnTimer = 0, endTimer = 0;
    function show(text, action, handler) {
      banner.textContent = text + ' ';
      const button = document.createElement(action.href ? 'a' : 'button');
      button.textContent = action.label;
      if (action.href) button.href = action.href; else button.type = 'button';
      if (handler) button.addEventListener('click', handler);
      banner.appendChild(button);
      banner.hidden = false;
    }
    function ended() {
      const next = location.pathname + location.search;
      show(msg("session_ended"), { label: msg("sign_in"), href: '/login?expired=1&next=' + encodeURIComponent(next) });
      window.dispatchEvent(new Event('scitrial:session-ended'));
    }
    function activity() {
      clearTimeout(warnTimer); clearTimeout(endTimer);
      banner.hidden = true;
      warnTimer = setTimeout(function () {
        show(msg("session_warning"), { label: msg("stay") }, function () {
          fetch('/api/me', { credentials: 'same-origin' }).then(function (r) {
            if (r.ok) activity(); else ended();
          });
        });
      }, Math.max(0, idle - 5 * 60 * 1000));
      endTimer = setTimeout(ended, idle);
    }
    window.scitrial.activity = activity;
    window.scitrial.sessionEnded = ended;
    activity();

    // Writes from a page go through the JSON API: `data-post` names the call. A button posts
    // nothing; a form posts its named fields. Done, the page is shown again; refused, the
    // form's alert says why.
    function post(url, body, failed) {
      return fetch(url, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': window.scitrial.csrf(), 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then(function (r) {
        if (r.ok) { location.reload(); return; }
        return r.json().then(function (e) { failed(e.error && e.error.message || r.statusText); },
          function () { failed(r.statusText); });
      }, function () { failed(msg('offline')); });
    }
    for (const form of document.querySelectorAll('form[data-post]')) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        const body = {};
        // A field marked `data-json` carries JSON (a flag, a list of ids), not text.
        for (const el of form.elements) {
          // A field marked `data-optional` is left out when empty (an optional member).
          if (el.name && !('optional' in el.dataset && el.value === '')) {
            body[el.name] = 'json' in el.dataset ? JSON.parse(el.value) : el.value;
          }
        }
        const alert = form.querySelector('[role="alert"]');
        const submit = form.querySelector('[type="submit"]');
        if (submit) submit.disabled = true;
        post(form.dataset.post, body, function (text) {
          if (alert) alert.textContent = text;
          if (submit) submit.disabled = false;
        });
      });
    }
    for (const button of document.querySelectorAll('button[data-post]')) {
      button.addEventListener('click', function () {
        button.disabled = true;
        post(button.dataset.post, {}, function (text) {
          button.disabled = false;
          button.title = text;
        });
      });
    }

    const logout = document.getElementById('logout');
    if (logout) logout.addEventListener('click', function () {
      fetch('/api/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': window.scitrial.csrf() } })
        .finally(function () { location.href = '/login'; });
    });
  }
})();
