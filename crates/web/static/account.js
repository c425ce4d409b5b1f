// scitrial account pages: changing one's password, asking for a reset link, setting a new
// password with it. Each form posts its named fields to the JSON API (`data-account-post`);
// done, it says so (`data-done`) and empties; refused, its alert says why.
'use strict';
(function () {
  const msg = (window.scitrial && window.scitrial.msg) || function (k) { return k; };
  for (const form of document.querySelectorAll('form[data-account-post]')) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      const body = {};
      for (const el of form.elements) {
        if (el.name) body[el.name] = el.value;
      }
      const alert = form.querySelector('[role="alert"]');
      const status = form.querySelector('[role="status"]');
      const submit = form.querySelector('[type="submit"]');
      if (alert) alert.textContent = '';
      if (status) status.textContent = '';
      if (submit) submit.disabled = true;
      const headers = { 'Content-Type': 'application/json' };
      if (window.scitrial && window.scitrial.csrf()) headers['X-CSRF-Token'] = window.scitrial.csrf();
      fetch(form.dataset.accountPost, {
        method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(body),
      }).then(function (r) {
        if (submit) submit.disabled = false;
        if (r.ok) {
          form.reset();
          if (status) status.textContent = form.dataset.done;
          return;
        }
        return r.json().then(function (e) {
          const fields = (e.error && e.error.fields) || [];
          const text = fields.length
            ? fields.map(function (f) { return f.field + ': ' + f.message; }).join('; ')
            : (e.error && e.error.message) || r.statusText;
          if (alert) alert.textContent = text;
        }, function () { if (alert) alert.textContent = r.statusText; });
      }, function () {
        if (submit) submit.disabled = false;
        if (alert) alert.textContent = msg('offline');
      });
    });
  }
})();
