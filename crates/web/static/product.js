// scitrial cell product pages: each form (`data-product-post`) posts its named fields to the
// JSON API with the session's CSRF token, then the page is shown again; a refusal lists what
// the API names (field and message, in the page's language) in the form's alert.
// Fields: `data-number` sends a number when the text is one (a word stays a word: a release
// result may be either); `data-instant` turns a local date and time into an RFC 3339 instant;
// `data-optional` is left out when empty; checkboxes marked `data-list` gather their checked
// values into a list, other checkboxes send true or false; a `{name}` in the call's path takes
// that field's value (a field marked `data-path-only` goes only there: a scanned kit number).
// `data-wrap="units"` sends the fields as the one member of that list. A file input
// (`data-file-into`) copies the chosen file's text into the form's field of that name.
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
  function value(el) {
    let v = el.value;
    if ('instant' in el.dataset && v) {
      const d = new Date(v);
      if (!isNaN(d.getTime())) v = d.toISOString();
    }
    if ('number' in el.dataset && v.trim() !== '' && !isNaN(Number(v))) v = Number(v);
    return v;
  }
  for (const form of document.querySelectorAll('form[data-product-post]')) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      let path = form.dataset.productPost;
      let body = {};
      for (const el of form.elements) {
        if (!el.name) continue;
        if (el.type === 'checkbox') {
          if ('list' in el.dataset) {
            body[el.name] = body[el.name] || [];
            if (el.checked) body[el.name].push(value(el));
          } else {
            body[el.name] = el.checked;
          }
          continue;
        }
        if ('optional' in el.dataset && el.value === '') continue;
        const v = value(el);
        const slot = '{' + el.name + '}';
        if (path.includes(slot)) {
          path = path.replace(slot, encodeURIComponent(String(v).trim()));
          if ('pathOnly' in el.dataset) continue;
        }
        body[el.name] = v;
      }
      if (form.dataset.wrap) {
        const wrapped = {};
        wrapped[form.dataset.wrap] = [body];
        body = wrapped;
      }
      const alert = form.querySelector('[role="alert"]');
      const submit = form.querySelector('[type="submit"]');
      if (alert) alert.textContent = '';
      if (submit) submit.disabled = true;
      fetch(path, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': window.scitrial.csrf() },
        body: JSON.stringify(body),
      }).then(function (r) {
        if (r.ok) { window.location.reload(); return; }
        if (submit) submit.disabled = false;
        return r.json().then(function (answer) {
          const error = answer.error || {};
          const fields = error.fields || [];
          if (alert) {
            alert.textContent = fields.length
              ? fields.map(function (f) { return f.field + ': ' + f.message; }).join('; ')
              : error.message || r.statusText;
          }
        }, function () { if (alert) alert.textContent = r.statusText; });
      }, function () {
        if (submit) submit.disabled = false;
        if (alert) alert.textContent = msg('offline');
      });
    });
  }
})();
