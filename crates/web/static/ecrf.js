// An eCRF form: the values are checked and scored by the study's rules through the API as they
// are entered (SCIM III subscales and total shown live; nothing is computed here), problems are
// shown at their field, and saving asks for the reason of a change.
'use strict';
(function () {
  const root = document.getElementById('crf');
  if (!root) return;
  const msg = window.scitrial.msg;
  const csrf = window.scitrial.csrf;
  const inputs = Array.from(root.querySelectorAll('.crf-input [name]'));
  const results = Array.from(root.querySelectorAll('[data-result]'));
  const progress = document.getElementById('crf-progress');
  const status = document.getElementById('save-status');
  const editable = root.dataset.editable === '1';
  const scim = root.dataset.kind === 'scim3';
  let sequence = 0;
  window.scitrial.updates = 0;

  function values() {
    const out = {};
    for (const el of inputs) if (el.value.trim() !== '') out[el.name] = el.value;
    return out;
  }

  function setError(name, text) {
    const el = root.querySelector('[name="' + CSS.escape(name) + '"]');
    const slot = document.getElementById('e-' + name);
    if (el) { if (text) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid'); }
    if (slot) slot.textContent = text || '';
  }

  function clearErrors() { for (const el of inputs) setError(el.name, ''); }

  // Problems at their fields; `entered` keeps only those of fields with a value (while typing,
  // a required field not reached yet is no problem).
  function flag(body, entered) {
    const fields = (body && body.error && body.error.fields) || [];
    let shown = 0;
    for (const f of fields) {
      const name = String(f.field).replace(/^values\./, '');
      if (entered && !(name in entered)) continue;
      setError(name, f.message);
      shown++;
    }
    return shown;
  }

  function call(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; },
        function () { return { status: r.status, body: null }; });
    });
  }

  function done() {
    window.scitrial.updates++;
  }

  // SCIM III: every item allows 0, so the items not scored yet are sent as 0 and a score is
  // shown only when all the items it adds up are scored.
  function score() {
    const entered = values();
    const sent = Object.assign({}, entered);
    if (scim) for (const el of inputs) if (!(el.name in sent)) sent[el.name] = '0';
    const mine = ++sequence;
    call(root.dataset.scorePath, { values: sent }).then(function (r) {
      if (mine !== sequence) return;
      clearErrors();
      if (r.status === 200) {
        for (const el of results) {
          const items = (el.dataset.items || '').split(' ').filter(Boolean);
          const ready = items.every(function (i) { return i in entered; });
          const v = r.body.values[el.dataset.result];
          el.textContent = ready && v !== undefined ? String(v) : '';
        }
        progress.textContent = '';
      } else if (r.status === 401) {
        if (window.scitrial.sessionEnded) window.scitrial.sessionEnded();
      } else {
        for (const el of results) el.textContent = '';
        progress.textContent = flag(r.body, entered) ? msg('fix') : '';
      }
      done();
    }).catch(function () { if (mine === sequence) { progress.textContent = msg('offline'); done(); } });
  }

  for (const el of inputs) {
    el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', score);
  }
  if (editable && inputs.some(function (el) { return el.value !== ''; })) score();

  // Saving: a change to saved data asks for the reason first.
  let saveAs = 'complete';
  function save(reason) {
    status.textContent = msg('saving');
    const body = { values: values(), status: saveAs };
    if (reason) body.reason = reason;
    call(root.dataset.savePath, body).then(function (r) {
      if (r.status === 200) {
        status.textContent = msg('saved');
        location.reload();
      } else if (r.status === 401) {
        status.textContent = '';
        window.scitrial.sessionEnded();
      } else {
        clearErrors();
        flag(r.body, null);
        status.textContent = msg('save_failed') + ' ' + ((r.body && r.body.error && r.body.error.message) || r.status);
      }
    }).catch(function (e) { status.textContent = msg('save_failed') + ' ' + e; });
  }
  const dialog = document.getElementById('reason-dialog');
  for (const button of root.querySelectorAll('button[data-save]')) {
    button.addEventListener('click', function () {
      saveAs = button.dataset.save;
      if (Number(root.dataset.version) > 0) {
        document.getElementById('reason').value = '';
        document.getElementById('reason-error').hidden = true;
        dialog.showModal();
      } else save(null);
    });
  }
  document.getElementById('reason-form').addEventListener('submit', function (e) {
    e.preventDefault();
    const reason = document.getElementById('reason').value.trim();
    if (!reason) {
      const err = document.getElementById('reason-error');
      err.textContent = msg('reason_required'); err.hidden = false;
      return;
    }
    dialog.close();
    save(reason);
  });
  document.getElementById('reason-cancel').addEventListener('click', function () { dialog.close(); });

  // Locking or unlocking a whole visit: each of its forms, one after the other (unlocking
  // with the one reason given); the page is shown again, or the first refusal said.
  function postAll(urls, body, button, alert) {
    button.disabled = true;
    let chain = Promise.resolve();
    let failed = null;
    for (const url of urls) {
      chain = chain.then(function () {
        if (failed) return null;
        return call(url, body).then(function (r) {
          if (r.status !== 200) failed = (r.body && r.body.error && r.body.error.message) || String(r.status);
        });
      });
    }
    chain.then(function () {
      if (!failed) { location.reload(); return; }
      button.disabled = false;
      if (alert) alert.textContent = failed; else button.title = failed;
    }, function () {
      button.disabled = false;
      if (alert) alert.textContent = msg('offline');
    });
  }
  for (const button of document.querySelectorAll('button[data-post-all]')) {
    button.addEventListener('click', function () {
      postAll(JSON.parse(button.dataset.postAll), {}, button, null);
    });
  }
  for (const form of document.querySelectorAll('form[data-post-all]')) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      const reason = form.elements.reason.value;
      postAll(JSON.parse(form.dataset.postAll), { reason: reason }, form.querySelector('[type="submit"]'),
        form.querySelector('[role="alert"]'));
    });
  }
})();
