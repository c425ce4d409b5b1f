// The ISNCSCI worksheet: keyboard-first entry, inline checks, live classification through the
// API, the dermatome map, drafts kept on the device, and saving with a reason.
'use strict';
(function () {
  const form = document.getElementById('worksheet');
  if (!form) return;
  const msg = window.scitrial.msg;
  const csrf = window.scitrial.csrf;
  const cells = Array.from(form.querySelectorAll('input.cell'));
  const selects = Array.from(form.querySelectorAll('select.cell'));
  const comments = form.querySelector('#f-comments');
  const order = cells.concat(selects, comments ? [comments] : []);
  const results = Array.from(document.querySelectorAll('[data-result]'));
  const progress = document.getElementById('ws-progress');
  const notice = document.getElementById('ws-notice');
  const editable = form.dataset.editable === '1';
  const savePath = form.dataset.savePath;
  const draftKey = 'scitrial:draft:' + location.pathname;
  const PATTERN = {
    motor: /^(?:[0-5]|[0-4]\*{1,2}|NT\*{0,2})$/,
    sensory: /^(?:[0-2]|[01]\*{1,2}|NT\*{0,2})$/,
  };
  const ALLOWED = { motor: msg("allowed_motor"), sensory: msg("allowed_sensory") };
  let sequence = 0;
  window.scitrial.updates = 0;

  function values() {
    const out = {};
    for (const el of cells.concat(selects)) if (el.value !== '') out[el.name] = el.value;
    return out;
  }

  function setError(el, text) {
    const slot = document.getElementById('e-' + el.name);
    if (text) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
    if (slot) { slot.textContent = text || ''; slot.title = text || ''; }
  }

  function check(el) {
    const v = el.value;
    if (v === '' || PATTERN[el.dataset.kind].test(v)) { setError(el, ''); return v !== ''; }
    setError(el, msg("invalid") + ' ' + ALLOWED[el.dataset.kind]);
    return false;
  }

  // A value is finished when nothing may follow it: stars are typed into the next cell and
  // go back to this one, so a digit or NT moves on at once.
  // Typing a value moves on only to another value cell (so that a star typed after the last
  // one still reaches it); Enter and the arrow keys move on to the anal exam and the rest.
  function next(el, typed) {
    const i = order.indexOf(el);
    const to = order[i + 1];
    if (i < 0 || !to || (typed && to.tagName !== 'INPUT')) return;
    to.focus();
    if (to.select) to.select();
  }
  function previous(el) {
    const i = order.indexOf(el);
    return i > 0 ? order[i - 1] : null;
  }

  function normalise(el) {
    let v = el.value.toUpperCase().replace(/\s+/g, '');
    if (v === 'N') v = 'NT';
    // The "T" of "NT" typed after the N completed it, in a cell that kept the focus.
    v = v.replace(/^NTT/, 'NT');
    // Stars typed into an empty cell mark the value just entered above.
    const stars = /^\*{1,2}$/.exec(v);
    const prev = previous(el);
    if (stars && prev && prev.classList.contains('cell') && prev.tagName === 'INPUT' &&
        PATTERN[prev.dataset.kind].test(prev.value + v)) {
      prev.value = prev.value + v;
      el.value = el.dataset.before || '';
      check(prev);
      return 'stars';
    }
    // A "T" after an NT that moved on already is the rest of "NT".
    if (v === 'T' && prev && prev.value.startsWith('NT')) { el.value = el.dataset.before || ''; return 'stars'; }
    el.value = v;
    return v;
  }

  function paintMap() {
    for (const path of document.querySelectorAll('path.derm')) {
      const base = path.dataset.level + path.dataset.side;
      const scores = [form.elements[base + 'Touch'], form.elements[base + 'Prick']]
        .map(function (el) { return el ? el.value : ''; })
        .filter(function (v) { return v !== ''; });
      let cls = 'empty';
      const digits = scores.filter(function (v) { return /^[0-2]/.test(v); }).map(function (v) { return Number(v[0]); });
      if (digits.length) cls = 'derm-' + Math.min.apply(null, digits);
      else if (scores.some(function (v) { return v.startsWith('NT'); })) cls = 'derm-nt';
      path.setAttribute('class', 'derm ' + cls);
    }
  }

  function showResults(map) {
    for (const el of results) el.textContent = map ? (map[el.dataset.result] || '') : '';
  }

  // Drafts are kept for a visit's form only: the calculator starts empty every time.
  function saveDraft() {
    if (!editable || !savePath) return;
    try {
      localStorage.setItem(draftKey, JSON.stringify({ values: values(), comments: comments ? comments.value : '' }));
    } catch (e) { /* storage full or disabled: entries stay on the page */ }
  }

  // The inputs each total adds up. A total whose inputs are all entered is shown before the
  // rest of the exam is: the engine classifies the exam with the missing values set to 0, and
  // only those totals are taken (a total depends on nothing but its own inputs).
  const UPPER = '(c5|c6|c7|c8|t1)', LOWER = '(l2|l3|l4|l5|s1)';
  const TOTALS = {
    rightUpperMotorTotal: '^' + UPPER + 'RightMotor$', leftUpperMotorTotal: '^' + UPPER + 'LeftMotor$',
    rightLowerMotorTotal: '^' + LOWER + 'RightMotor$', leftLowerMotorTotal: '^' + LOWER + 'LeftMotor$',
    rightTouchTotal: 'RightTouch$', leftTouchTotal: 'LeftTouch$',
    rightPrickTotal: 'RightPrick$', leftPrickTotal: 'LeftPrick$',
    rightMotorTotal: 'RightMotor$', leftMotorTotal: 'LeftMotor$',
    upperMotorTotal: '^' + UPPER + '(Right|Left)Motor$', lowerMotorTotal: '^' + LOWER + '(Right|Left)Motor$',
    touchTotal: 'Touch$', prickTotal: 'Prick$',
  };
  const totalInputs = {};
  for (const key of Object.keys(TOTALS)) {
    const re = new RegExp(TOTALS[key]);
    totalInputs[key] = cells.filter(function (el) { return re.test(el.name); });
  }
  function showTotals(map) {
    for (const el of results) {
      const inputs = totalInputs[el.dataset.result];
      const ready = inputs && inputs.every(function (i) { return i.value !== ''; });
      el.textContent = ready ? (map[el.dataset.result] || '') : '';
    }
  }

  function classify() {
    const v = values();
    let missing = 0, invalid = 0;
    for (const el of cells) { if (el.value === '') missing++; else if (!PATTERN[el.dataset.kind].test(el.value)) invalid++; }
    for (const el of selects) if (el.classList.contains('anal') && el.value === '') missing++;
    const mine = ++sequence;
    if (invalid) { showResults(null); progress.textContent = msg("fix"); return done(); }
    if (missing) {
      progress.textContent = msg("pending") + ' (' + missing + ' ' + msg("to_go") + ')';
      for (const el of cells) if (el.value === '') v[el.name] = '0';
      for (const el of selects) if (el.classList.contains('anal') && el.value === '') v[el.name] = 'No';
    }
    fetch('/api/isncsci/classify', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(v),
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (r) {
      if (mine !== sequence) return;
      if (r.status === 200 && missing) {
        showTotals(r.body);
        if (window.scitrial.activity) window.scitrial.activity();
      } else if (r.status === 200) {
        showResults(r.body);
        progress.textContent = msg("classified");
        if (window.scitrial.activity) window.scitrial.activity();
      } else if (r.status === 401) {
        showResults(null);
        if (window.scitrial.sessionEnded) window.scitrial.sessionEnded();
      } else {
        showResults(null);
        flagFields(r.body);
      }
      done();
    }).catch(function () { if (mine === sequence) { progress.textContent = msg("save_failed"); done(); } });
  }

  function done() {
    window.scitrial.updates++;
    window.scitrial.lastUpdate = performance.now();
  }

  function flagFields(body) {
    const fields = (body && body.error && body.error.fields) || [];
    for (const f of fields) {
      const name = String(f.field).replace(/^(values\.)?exam\./, '');
      const el = form.elements[name];
      if (el && el.tagName === 'INPUT') setError(el, f.message);
    }
    progress.textContent = (body && body.error && body.error.message) || msg("fix");
  }

  // The request goes out first; the map and the draft are done while it is on its way.
  function changed() {
    classify();
    paintMap();
    saveDraft();
  }

  for (const el of cells) {
    el.addEventListener('input', function () {
      const v = normalise(el);
      if (v === 'stars') { changed(); return; }
      const ok = check(el);
      changed();
      if (ok && /^(?:[0-5]|NT)$/.test(v)) next(el, true);
    });
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === 'ArrowDown') { e.preventDefault(); next(el); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); const p = previous(el); if (p) p.focus(); }
      else if (e.key === 'Backspace' && el.value === '') {
        e.preventDefault();
        const p = previous(el);
        if (p && p.tagName === 'INPUT') { p.focus(); p.select(); }
      }
    });
    // What the cell held when the cursor came, given back if a star typed here was meant for
    // the value above.
    el.addEventListener('focus', function () { el.dataset.before = el.value; el.select(); });
  }
  for (const el of selects) el.addEventListener('change', changed);
  if (comments) comments.addEventListener('input', saveDraft);

  // A draft kept on this device (unsaved entries, e.g. when the session ended) comes back.
  try {
    const draft = JSON.parse(localStorage.getItem(draftKey) || 'null');
    if (draft && editable && savePath) {
      let differs = false;
      for (const el of cells.concat(selects)) {
        const v = draft.values[el.name] || '';
        if (v !== el.value) { el.value = v; differs = true; }
      }
      if (comments && typeof draft.comments === 'string' && draft.comments !== comments.value) {
        comments.value = draft.comments; differs = true;
      }
      if (differs) { notice.textContent = msg("restored"); notice.hidden = false; }
      else localStorage.removeItem(draftKey);
    }
  } catch (e) { /* a broken draft is ignored */ }
  for (const el of cells) if (el.value !== '') check(el);
  paintMap();
  if (cells.some(function (el) { return el.value !== ''; })) classify();
  else progress.textContent = msg("pending");

  // Saving (a visit's form): a change to saved data asks for the reason first.
  const dialog = document.getElementById('reason-dialog');
  const status = document.getElementById('save-status');
  function save(reason) {
    status.textContent = msg("saving");
    const body = { values: Object.assign(values(), comments ? { comments: comments.value } : {}), status: 'complete' };
    if (reason) body.reason = reason;
    fetch(savePath, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; });
    }).then(function (r) {
      if (r.status === 200) {
        localStorage.removeItem(draftKey);
        status.textContent = msg("saved");
        form.dataset.version = String(r.body.version || 1);
        location.reload();
      } else if (r.status === 401) {
        status.textContent = '';
        window.scitrial.sessionEnded();
      } else {
        flagFields(r.body);
        status.textContent = msg("save_failed") + ' ' + ((r.body && r.body.error && r.body.error.message) || r.status);
      }
    }).catch(function (e) { status.textContent = msg("save_failed") + ' ' + e; });
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!savePath || !editable) return;
    if (Number(form.dataset.version) > 0) {
      document.getElementById('reason').value = '';
      document.getElementById('reason-error').hidden = true;
      dialog.showModal();
    } else save(null);
  });
  if (dialog) {
    document.getElementById('reason-form').addEventListener('submit', function (e) {
      e.preventDefault();
      const reason = document.getElementById('reason').value.trim();
      if (!reason) {
        const err = document.getElementById('reason-error');
        err.textContent = msg("reason_required"); err.hidden = false;
        return;
      }
      dialog.close();
      save(reason);
    });
    document.getElementById('reason-cancel').addEventListener('click', function () { dialog.close(); });
  }
})();
