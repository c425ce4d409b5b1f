// The adverse event page: the CTCAE term picked from the API's terms search, the chosen grade's
// definition for that term, the expectedness as the reference safety information says, and the
// form sent to the JSON API (record, or change with a reason), each problem the API names shown
// next to its field.
'use strict';
(function () {
  const form = document.getElementById('ae-form');
  if (!form) return;
  const msg = window.scitrial.msg;
  const search = document.getElementById('ae-term-search');
  const results = document.getElementById('ae-term-results');
  const termInput = document.getElementById('ae-term');
  const chosenText = document.getElementById('ae-term-chosen');
  const grade = document.getElementById('ae-grade');
  const gradeDefinition = document.getElementById('ae-grade-definition');
  const expectedness = document.getElementById('ae-expectedness');
  const expected = JSON.parse(form.dataset.expected || '[]').map(function (t) { return t.trim().toLowerCase(); });
  let term = JSON.parse(form.dataset.term || 'null');

  function showGrade() {
    const g = Number(grade.value);
    if (!term || !g) { gradeDefinition.textContent = ''; return; }
    const found = term.grades.find(function (x) { return x.grade === g; });
    gradeDefinition.textContent = found ? found.definition : msg("ae_grade_undefined");
  }

  function showExpectedness() {
    if (!term) return;
    const listed = expected.includes(term.name.trim().toLowerCase());
    expectedness.textContent = listed ? expectedness.dataset.expectedText : expectedness.dataset.unexpectedText;
  }

  function choose(t) {
    term = t;
    termInput.value = t.name;
    chosenText.textContent = t.name + ' · ' + t.soc;
    results.textContent = '';
    search.value = '';
    showGrade();
    showExpectedness();
  }

  let timer = 0, asked = 0;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    const q = search.value.trim();
    if (!q) { results.textContent = ''; return; }
    timer = setTimeout(function () {
      const mine = ++asked;
      results.textContent = msg("ae_searching");
      fetch(form.dataset.terms + '?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (terms) {
          if (mine !== asked) return;
          results.textContent = '';
          if (!terms.length) { results.textContent = msg("ae_no_match"); return; }
          for (const t of terms) {
            const li = document.createElement('li');
            li.setAttribute('role', 'option');
            const button = document.createElement('button');
            button.type = 'button';
            button.className = 'link';
            button.dataset.termOption = t.name;
            button.textContent = t.name + ' · ' + t.soc;
            button.addEventListener('click', function () { choose(t); grade.focus(); });
            li.appendChild(button);
            results.appendChild(li);
          }
        }, function () { results.textContent = msg("offline"); });
    }, 200);
  });
  // Enter in the search picks the first term listed, rather than sending the form.
  search.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    const first = results.querySelector('[data-term-option]');
    if (first) first.click();
  });
  grade.addEventListener('change', showGrade);
  showGrade();

  function clearErrors() {
    for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  // A problem's field (`seriousness[0]` is the seriousness criteria) to its message slot.
  function showError(field, message) {
    const name = field.replace(/\[\d+\]$/, '');
    const slot = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]') || document.getElementById('ae-form-error');
    slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + message;
    const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (input) input.setAttribute('aria-invalid', 'true');
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    const value = function (name) { const el = form.elements[name]; return el ? el.value.trim() : ''; };
    const body = {
      verbatim: value('verbatim'),
      term: termInput.value,
      onset: value('onset'),
      end: value('end') || null,
      grade: grade.value ? Number(grade.value) : null,
      seriousness: Array.from(form.querySelectorAll('input[name="seriousness"]:checked')).map(function (c) { return c.value; }),
      causality_product: value('causality_product'),
      causality_procedure: value('causality_procedure'),
      action: value('action'),
      outcome: value('outcome'),
    };
    if (form.dataset.editing) body.reason = value('reason');
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    fetch(form.dataset.api, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': window.scitrial.csrf(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (answer) {
        if (r.ok) {
          location.href = form.dataset.participant + '/adverse-events/' + answer.id;
          return;
        }
        submit.disabled = false;
        const problems = (answer.error && answer.error.fields) || [];
        if (!problems.length) showError('', (answer.error && answer.error.message) || r.statusText);
        for (const p of problems) showError(p.field, p.message);
        if (problems.length) document.getElementById('ae-form-error').textContent ||= msg("ae_not_saved");
        const first = form.querySelector('[aria-invalid]');
        if (first) first.focus();
      });
    }).catch(function () {
      submit.disabled = false;
      showError('', msg("offline"));
    });
  });
})();
