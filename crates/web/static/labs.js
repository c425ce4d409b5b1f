// scitrial lab pages: each form posts its named fields to the JSON API (`data-labs-post`; a
// checkbox as true or false). A preview (`data-preview-into`) fills its table with the rows
// the server would import; any other success reloads the page. A refusal lists each field
// the API names in the form's alert. A file input (`data-file-into`) copies the chosen file's
// text into the form's field of that name.
'use strict';
(function () {
  const msg = (window.scitrial && window.scitrial.msg) || function (k) { return k; };
  for (const input of document.querySelectorAll('input[data-file-into]')) {
    input.addEventListener('change', function () {
      const file = input.files && input.files[0];
      const target = input.form && input.form.elements[input.dataset.fileInto];
      if (!file || !target) return;
      file.text().then(function (text) { target.value = text; });
    });
  }
  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  for (const form of document.querySelectorAll('form[data-labs-post]')) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      const body = {};
      for (const el of form.elements) {
        if (!el.name) continue;
        if (el.type === 'checkbox') body[el.name] = el.checked;
        else if (el.value !== '' || el.required) body[el.name] = el.value;
      }
      const alert = form.querySelector('[role="alert"]');
      const status = form.querySelector('[role="status"]');
      const submit = form.querySelector('[type="submit"]');
      if (alert) alert.textContent = '';
      if (status) status.textContent = '';
      if (submit) submit.disabled = true;
      const headers = { 'Content-Type': 'application/json' };
      if (window.scitrial && window.scitrial.csrf()) headers['X-CSRF-Token'] = window.scitrial.csrf();
      fetch(form.dataset.labsPost, {
        method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(body),
      }).then(function (r) {
        if (submit) submit.disabled = false;
        return r.json().then(function (answer) {
          if (!r.ok) {
            const fields = (answer.error && answer.error.fields) || [];
            if (alert) {
              alert.textContent = fields.length
                ? fields.map(function (f) { return f.field + ': ' + f.message; }).join('; ')
                : (answer.error && answer.error.message) || r.statusText;
            }
            return;
          }
          const into = form.dataset.previewInto && document.getElementById(form.dataset.previewInto);
          if (into && answer.rows) {
            into.textContent = '';
            for (const row of answer.rows) {
              const tr = document.createElement('tr');
              tr.dataset.line = row.line;
              cell(tr, row.line);
              cell(tr, row.subject_id);
              cell(tr, row.test);
              cell(tr, row.entered);
              cell(tr, msg('lab_flag_' + row.flag)).dataset.flag = row.flag;
              cell(tr, row.grade == null ? '' : row.term + ' — ' + row.grade).dataset.grade = row.grade == null ? '' : row.grade;
              into.appendChild(tr);
            }
            if (status) {
              status.textContent = answer.outcome
                ? (answer.outcome.already ? msg('lab_import_already') : msg('lab_imported')) + ' (' + answer.outcome.results + ')'
                : msg('lab_previewed');
            }
            return;
          }
          window.location.reload();
        }, function () { if (alert) alert.textContent = r.statusText; if (submit) submit.disabled = false; });
      }, function () {
        if (submit) submit.disabled = false;
        if (alert) alert.textContent = msg('offline');
      });
    });
  }
})();
