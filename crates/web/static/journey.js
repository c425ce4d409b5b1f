// The participant's journey, the pharmacist's kits and the cohort page: each `form.journey`
// is sent to the JSON API named by its `data-api` with the session's CSRF token; each problem
// the API names is shown at its field (`data-error-for`), any other in the form's alert.
// Done, the page is shown again, except: a screening opens the new participant's page, a
// randomisation shows the kit, an emergency unblinding shows the arm once (not kept), and the
// randomisation list's generation shows its seed once.
'use strict';
(function () {
  const msg = window.scitrial.msg;

  function clear(form) {
    for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  function show(form, field, message) {
    const name = String(field || '');
    let slot = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
    if (!slot && name.startsWith('exam.')) slot = form.querySelector('[data-error-for="exam.' + CSS.escape(name.slice(5)) + '"]');
    if (!slot) slot = form.querySelector('[data-error-for=""]');
    if (!slot) return;
    slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + message;
    const input = form.querySelector('[name="' + CSS.escape(name.replace(/^exam\./, '')) + '"]');
    if (input) input.setAttribute('aria-invalid', 'true');
  }

  function body(form) {
    const out = {};
    const exam = {};
    let hasExam = false;
    for (const el of form.elements) {
      if (!el.name) continue;
      if ('exam' in el.dataset) {
        hasExam = true;
        const v = el.value.trim().toUpperCase().replace(/^N$/, 'NT');
        if (v !== '') exam[el.name] = el.tagName === 'SELECT' ? el.value : v;
        continue;
      }
      // A control not in use (the correction's other kind of value) is not sent.
      if (el.disabled) continue;
      if ('json' in el.dataset) { out[el.name] = JSON.parse(el.value); continue; }
      // An optional field left empty is left out.
      if (el.value === '' && !el.required) continue;
      if ('number' in el.dataset && /^[0-9]+$/.test(el.value)) { out[el.name] = Number(el.value); continue; }
      out[el.name] = el.value;
    }
    if (hasExam) out.exam = exam;
    return out;
  }

  // The screening exam is classified as it is entered (nothing is saved): NLI, AIS, UEMS and
  // LEMS once every value is in, else how many are still to enter.
  const screening = document.getElementById('screening-form');
  const shown = document.getElementById('screen-classification');
  if (screening && shown) {
    const exam = Array.from(screening.querySelectorAll('[data-exam]'));
    let timer = 0, asked = 0;
    const classify = function () {
      const values = {};
      let missing = 0;
      for (const el of exam) {
        const v = el.value.trim().toUpperCase().replace(/^N$/, 'NT');
        if (v === '') missing++; else values[el.name] = el.tagName === 'SELECT' ? el.value : v;
      }
      if (missing) { shown.textContent = msg('pending') + ' (' + missing + ' ' + msg('to_go') + ')'; return; }
      const mine = ++asked;
      fetch('/api/isncsci/classify', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': window.scitrial.csrf(), 'Content-Type': 'application/json' },
        body: JSON.stringify(values),
      }).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
        .then(function (x) {
          if (mine !== asked) return;
          if (!x.ok) { shown.textContent = msg('fix'); return; }
          const b = x.b;
          shown.textContent = 'NLI ' + b.neurologicalLevelOfInjury + ' · AIS ' + b.asiaImpairmentScale +
            ' · UEMS ' + b.upperMotorTotal + ' · LEMS ' + b.lowerMotorTotal;
        }, function () { shown.textContent = msg('offline'); });
    };
    for (const el of exam) {
      el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', function () {
        clearTimeout(timer);
        timer = setTimeout(classify, 250);
      });
    }
    classify();
  }

  // The correction of the screening data: a date or a sex, as the chosen field takes.
  const field = document.getElementById('c-field');
  if (field) {
    const label = document.querySelector('label[for="c-date"], label[for="c-sex"]');
    const pick = function () {
      const kind = field.selectedOptions[0] ? field.selectedOptions[0].dataset.kind : 'date';
      for (const el of document.querySelectorAll('[data-value-kind]')) {
        const on = el.dataset.valueKind === kind;
        el.hidden = !on;
        el.disabled = !on;
        if (on && label) label.htmlFor = el.id;
      }
    };
    field.addEventListener('change', pick);
    pick();
  }

  for (const form of document.querySelectorAll('form.journey[data-api]')) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      clear(form);
      const confirm = form.querySelector('input[type="checkbox"][required]');
      if (confirm && !confirm.checked) {
        show(form, 'confirm', msg('j_confirm_first'));
        confirm.focus();
        return;
      }
      const submit = form.querySelector('[type="submit"]');
      if (submit) submit.disabled = true;
      fetch(form.dataset.api, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': window.scitrial.csrf(), 'Content-Type': 'application/json' },
        body: JSON.stringify(body(form)),
      }).then(function (r) {
        return r.json().then(function (answer) { return { r: r, answer: answer }; },
          function () { return { r: r, answer: {} }; });
      }).then(function (x) {
        const r = x.r, answer = x.answer;
        if (r.ok) {
          const then = form.dataset.then;
          if (then === 'open') { location.href = form.dataset.open + answer.id + '/journey'; return; }
          if (then === 'kit') {
            form.hidden = true;
            const none = document.querySelector('[data-not-randomised]');
            if (none) none.hidden = true;
            const box = document.getElementById('randomised-kit');
            box.querySelector('[data-new-kit]').textContent = answer.kit_number || '';
            box.hidden = false;
            return;
          }
          if (then === 'arm') {
            form.hidden = true;
            const box = document.getElementById('unblinded-arm');
            box.querySelector('[data-revealed-arm]').textContent = answer.arm_name || answer.arm_id || '';
            box.hidden = false;
            return;
          }
          if (then === 'seed') {
            form.hidden = true;
            const box = document.getElementById('generated-seed');
            box.querySelector('[data-seed]').textContent = answer.seed || '';
            box.hidden = false;
            return;
          }
          location.reload();
          return;
        }
        if (submit) submit.disabled = false;
        const problems = (answer.error && answer.error.fields) || [];
        for (const p of problems) show(form, p.field, p.message);
        if (!problems.length) show(form, '', (answer.error && answer.error.message) || r.statusText);
        else show(form, '', msg('j_not_saved'));
        const first = form.querySelector('[aria-invalid]');
        if (first) first.focus();
      }).catch(function () {
        if (submit) submit.disabled = false;
        show(form, '', msg('offline'));
      });
    });
  }
})();
