// paylinks dashboard: each page's content, drawn from the HTTP API (/v1)
// with the session cookie; the server decides every permission. No inline
// script, no string of HTML: every node is built with the DOM, text is text.
'use strict';
(() => {
  const $ = (sel, el = document) => el.querySelector(sel);
  const $$ = (sel, el = document) => Array.from(el.querySelectorAll(sel));
  const S = JSON.parse($('#strings').textContent);
  const app = $('#app');
  const D = app.dataset;
  const perms = new Set((D.perms || '').split(' '));
  const can = (p) => perms.has(p);
  const lang = document.documentElement.lang || 'en';

  // t is the catalog's string of key, with {name} placeholders filled.
  function t(key, vars) {
    let s = S[key];
    if (s === undefined) {
      console.error('dashboard: no string ' + key);
      s = key;
    }
    for (const [k, v] of Object.entries(vars || {})) s = s.split('{' + k + '}').join(String(v));
    return s;
  }

  // h builds an element: attributes (on* are listeners), then children
  // (strings become text nodes).
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids.flat(9)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  // --- the API -----------------------------------------------------------
  class Problem extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || 'HTTP ' + status);
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(method, path, body, opts = {}) {
    const headers = {};
    if (method !== 'GET') headers['Paylinks-CSRF'] = D.csrf;
    let payload;
    if (typeof body === 'string' || body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = opts.type || 'text/csv';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    if (opts.idem) headers['Idempotency-Key'] = opts.idem;
    if (opts.accept) headers.Accept = opts.accept;
    let r;
    for (let tries = 0; ; tries++) {
      try {
        r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
      } catch (e) {
        throw new Problem(0, { detail: t('network_error') });
      }
      // The merchant's rate limit: wait as told (a bulk action's many
      // calls), a few times.
      if (r.status !== 429 || tries === 3) break;
      const wait = Math.min(Number(r.headers.get('Retry-After')) || 1, 5);
      await new Promise((res) => setTimeout(res, wait * 1000));
    }
    if (r.status === 401) {
      location.assign('/dashboard/sign-in?next=' + encodeURIComponent(location.pathname + location.search));
      throw new Problem(401, { detail: t('signed_out_body') });
    }
    if (opts.blob && r.ok) return { blob: await r.blob(), name: fileName(r.headers.get('Content-Disposition'), opts.name) };
    const ct = r.headers.get('Content-Type') || '';
    const data = r.status === 204 ? null : ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) throw new Problem(r.status, typeof data === 'object' && data ? data : { detail: String(data) });
    return data;
  }
  const newKey = () => crypto.randomUUID();
  // attempt is a form's Idempotency-Key: kept while a try may not have been
  // answered (a network error, a 5xx: resending is safe), new once the
  // server answered (a corrected form is another request).
  function attempt() {
    const a = { key: newKey(), answered(e) { if (!e || (e.status >= 400 && e.status < 500)) a.key = newKey(); } };
    return a;
  }
  const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString();

  // onePage is a listing's page of the one resource at path (empty when
  // there is none): a search by id.
  async function onePage(path) {
    try {
      return { data: [await api('GET', path)], next_cursor: null };
    } catch (e) {
      if (e.status === 404) return { data: [], next_cursor: null };
      throw e;
    }
  }

  function fileName(cd, fallback) {
    const m = /filename="?([^";]+)"?/.exec(cd || '');
    return m ? m[1] : fallback || 'export.csv';
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }

  // --- formatting --------------------------------------------------------
  const money = (m) => {
    if (!m) return '';
    try {
      return new Intl.NumberFormat(lang, { style: 'currency', currency: m.currency }).format(Number(m.value));
    } catch (e) {
      return m.currency + ' ' + m.value;
    }
  };
  const when = (s) => (s ? new Date(s).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
  const day = (s) => (s ? new Date(s).toLocaleDateString(lang, { dateStyle: 'medium' }) : '—');
  const isoDay = (offsetDays, from) => {
    const d = from ? new Date(from) : new Date();
    d.setUTCDate(d.getUTCDate() + offsetDays);
    return d.toISOString().slice(0, 10);
  };
  const methodName = (m) => (S['method_' + m] ? t('method_' + m) : m);
  const customerName = (c) => (c ? c.company_name || [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || c.id || '' : '');
  // deletedOnArchive foretells, for the confirmation's words, what the
  // server decides (domain.CanDelete): a link never opened and not a
  // dunning one is deleted rather than archived.
  const deletedOnArchive = (l) => l.status === 'created' && l.origin !== 'dunning';
  const badge = (status) => h('span', { class: 'badge s-' + status }, t('status_' + status));
  const lastActivity = (l) => [l.updated_at, l.clicked_at, l.paid_at, l.last_sent_at].filter(Boolean).sort().pop();

  // --- page furniture ----------------------------------------------------
  function say(msg) {
    const s = $('#status');
    s.textContent = '';
    setTimeout(() => { s.textContent = msg; }, 50);
  }

  // alertBox says what went wrong; a field's error is named by the label
  // of its control in container when there is one.
  function alertBox(err, container) {
    const missing = err.body && err.body.missing_permission;
    // A server's failure is said plainly (its detail is for the logs).
    const msg = missing ? t('missing_permission', { perm: missing }) : err.status >= 500 ? t('server_error') : err.message;
    const box = h('div', { class: 'error', role: 'alert' }, h('p', {}, msg));
    const errs = (err.body && err.body.errors) || [];
    const name = (f) => {
      const c = container && $('[data-field="' + CSS.escape(f) + '"]', container);
      const l = c && c.id && $('label[for="' + CSS.escape(c.id) + '"]', container);
      return l ? l.textContent : f;
    };
    if (errs.length) box.append(h('ul', {}, errs.map((e) => h('li', {}, name(e.field) + ': ' + e.message))));
    return box;
  }

  // showError puts err above the form (or container) and marks the fields
  // it names, each with its message.
  // clearErrors takes back what showError put: the alert, the fields'
  // marks and messages (a field's hint describes it again).
  function clearErrors(container) {
    $$('.error', container).forEach((el) => el.remove());
    $$('[aria-invalid]', container).forEach((el) => {
      el.removeAttribute('aria-invalid');
      if (document.getElementById(el.id + '-hint')) el.setAttribute('aria-describedby', el.id + '-hint');
      else el.removeAttribute('aria-describedby');
    });
    $$('.field-error', container).forEach((el) => el.remove());
  }

  function showError(container, err) {
    clearErrors(container);
    const box = alertBox(err, container);
    container.prepend(box);
    for (const fe of (err.body && err.body.errors) || []) {
      const input = $('[data-field="' + CSS.escape(fe.field) + '"]', container);
      if (!input) continue;
      const id = input.id + '-error';
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [id, document.getElementById(input.id + '-hint') ? input.id + '-hint' : ''].join(' ').trim());
      input.closest('.field').append(h('p', { class: 'field-error', id }, fe.message));
    }
    box.setAttribute('tabindex', '-1');
    box.focus();
  }

  let uid = 0;
  // field is a labelled control; apiField names it in the API's errors.
  function field(label, control, apiField, hint) {
    control.id = control.id || 'f' + ++uid;
    if (apiField) control.dataset.field = apiField;
    const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
    if (hint) {
      const hid = control.id + '-hint';
      control.setAttribute('aria-describedby', hid);
      wrap.append(h('p', { class: 'hint', id: hid }, hint));
    }
    return wrap;
  }
  const input = (name, attrs) => h('input', Object.assign({ name, type: 'text' }, attrs || {}));
  const select = (name, options, value, attrs) =>
    h('select', Object.assign({ name }, attrs || {}), options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  const button = (label, onclick, attrs) => h('button', Object.assign({ type: 'button', onclick }, attrs || {}), label);
  const languages = () => [['en', t('lang_en')], ['nl', t('lang_nl')], ['fr', t('lang_fr')], ['de', t('lang_de')]];
  const channels = () => [['email', t('channel_email')], ['sms', t('channel_sms')], ['whatsapp', t('channel_whatsapp')]];

  // table is a captioned table in a region that scrolls sideways on a
  // narrow screen (the page itself never does); rowAttrs gives a row its
  // attributes (an id to point at).
  function table(caption, cols, rows, empty, rowAttrs) {
    if (!rows.length) return h('p', { class: 'empty' }, empty || t('nothing_here'));
    return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, caption),
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
        h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {}, cols.map((c, i) => (i === 0 && c.rowHeader ? h('th', { scope: 'row', class: c.class }, c.cell(r)) : h('td', { class: c.class }, c.cell(r)))))))));
  }

  // dialog shows a modal dialog; it resolves with the value of the button
  // used ('' when closed with Escape).
  function dialog(title, body, actions) {
    return new Promise((resolve) => {
      const id = 'd' + ++uid;
      const d = h('dialog', { 'aria-labelledby': id },
        h('h2', { id }, title), body,
        h('div', { class: 'actions' }, actions.map(([label, value, cls]) => h('button', { type: 'button', class: cls, onclick: () => d.close(value) }, label))));
      d.addEventListener('close', () => { resolve(d.returnValue); d.remove(); });
      document.body.append(d);
      d.showModal();
      // The safe choice has the focus: Enter never archives, refunds or
      // removes by itself.
      const safe = actions.findIndex(([, value]) => value === '');
      if (safe >= 0) $$('.actions button', d)[safe].focus();
    });
  }

  // put replaces el's children with kids, leaving out the absent ones.
  function put(el, ...kids) {
    el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
  }

  function loading(el) {
    put(el, h('p', { class: 'muted', role: 'status' }, t('loading')));
  }

  // --- payment links overview ----------------------------------------------
  const PRESETS = ['all', 'created', 'clicked', 'paid', 'declined', 'expired', 'archived'];
  const EXPORT_CHUNK = 200;
  const ORIGINS = ['api', 'import', 'dashboard', 'dunning', 'invoice', 'first_payment', 'card_renewal'];

  async function pageLinks() {
    const p = new URLSearchParams(location.search);
    const st = {
      preset: PRESETS.includes(p.get('preset')) ? p.get('preset') : 'all',
      from: p.get('from') || isoDay(-90), to: p.get('to') || isoDay(0), q: p.get('q') || '',
      status: p.get('status') || '', customer: p.get('customer') || '', amount_min: p.get('amount_min') || '',
      amount_max: p.get('amount_max') || '', origin: p.get('origin') || '', channel: p.get('channel') || '',
    };
    const here = (over) => '?' + qs(Object.assign({}, st, over));
    const presets = h('nav', { 'aria-label': t('presets'), class: 'presets' },
      h('ul', {}, PRESETS.map((k) => h('li', {}, h('a', { href: here({ preset: k, status: '' }), 'aria-current': k === st.preset ? 'page' : null }, t('preset_' + k))))));
    const advancedOpen = st.status || st.customer || st.amount_min || st.amount_max || st.origin || st.channel;
    const filters = h('form', { method: 'get', class: 'filters', role: 'search', 'aria-label': t('filters') },
      h('input', { type: 'hidden', name: 'preset', value: st.preset }),
      h('div', { class: 'row' },
        field(t('search'), input('q', { value: st.q, type: 'search' }), 'q', t('search_hint')),
        field(t('from'), input('from', { type: 'date', value: st.from, required: true }), 'created_from'),
        field(t('to'), input('to', { type: 'date', value: st.to, required: true }), 'created_to')),
      h('details', { open: advancedOpen ? true : null },
        h('summary', {}, t('advanced_filters')),
        h('div', { class: 'row' },
          field(t('status'), select('status', [['', t('any')], ...['created', 'clicked', 'paid', 'declined', 'expired'].map((s) => [s, t('status_' + s)])], st.status), 'status'),
          field(t('customer'), input('customer', { value: st.customer }), 'customer'),
          field(t('amount_from'), input('amount_min', { value: st.amount_min, inputmode: 'decimal' }), 'amount_min'),
          field(t('amount_to'), input('amount_max', { value: st.amount_max, inputmode: 'decimal' }), 'amount_max'),
          field(t('origin'), select('origin', [['', t('any')], ...ORIGINS.map((o) => [o, t('origin_' + o)])], st.origin), 'origin'),
          field(t('channel'), select('channel', [['', t('any')], ...channels()], st.channel), 'channel'))),
      h('button', { type: 'submit' }, t('apply')));
    const range = h('p', { class: 'range' }, t('range_shown', { from: day(st.from + 'T00:00:00Z'), to: day(st.to + 'T00:00:00Z') }));
    const results = h('div', { id: 'results' });
    put(app, presets, filters, range, results);

    const query = {
      created_from: st.from + 'T00:00:00Z', created_to: st.to + 'T23:59:59Z', limit: 500,
      status: ['created', 'clicked', 'paid', 'declined', 'expired'].includes(st.preset) ? st.preset : st.status,
      archived: st.preset === 'archived' ? 'true' : '', customer: st.customer, amount_min: st.amount_min, amount_max: st.amount_max,
      origin: st.origin, channel: st.channel,
    };
    const links = [];
    const selected = new Set();
    let next = null;

    async function fetchPage(cursor) {
      if (st.q && /^pl_[0-9A-Za-z]{26}$/.test(st.q)) return onePage('/v1/payment-links/' + encodeURIComponent(st.q));
      if (st.q) {
        const [byRef, byCustomer] = await Promise.all([
          cursor ? { data: [] } : api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { reference: st.q }))),
          api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { customer: st.q, cursor }))),
        ]);
        const seen = new Set(links.map((l) => l.id));
        const data = [...byRef.data, ...byCustomer.data].filter((l) => !seen.has(l.id) && seen.add(l.id));
        return { data, next_cursor: byCustomer.next_cursor };
      }
      return api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { cursor })));
    }

    async function load(cursor, focusMore) {
      try {
        const page = await fetchPage(cursor);
        links.push(...page.data);
        next = page.next_cursor;
        draw(focusMore);
      } catch (e) {
        put(results);
        showError(filters, e);
      }
    }

    // The bulk bar and its live count stay put; ticking a box updates them
    // in place (the focus stays on the box).
    const count = h('span', { 'aria-live': 'polite' }, t('selected_count', { n: 0 }));
    const bulk = h('div', { class: 'bulk', role: 'group', 'aria-label': t('bulk_actions') }, count,
      can('links:write') ? button(t('archive'), () => bulkArchive()) : null,
      can('exports:read') ? button(t('export'), () => bulkExport()) : null,
      can('links:send') ? button(t('send'), () => bulkSend()) : null);
    let allBox = null;

    function sync() {
      count.textContent = t('selected_count', { n: selected.size });
      if (allBox) allBox.checked = links.length > 0 && selected.size === links.length;
    }

    function draw(focusMore) {
      allBox = h('input', { type: 'checkbox', 'aria-label': t('select_all'), checked: links.length > 0 && selected.size === links.length,
        onchange: (ev) => {
          links.forEach((l) => (ev.target.checked ? selected.add(l.id) : selected.delete(l.id)));
          $$('input[data-row]', results).forEach((c) => { c.checked = ev.target.checked; });
          sync();
        } });
      const cols = [
        { label: allBox, class: 'check', cell: (l) => h('input', { type: 'checkbox', 'data-row': l.id, 'aria-label': t('select_link', { name: l.description }), checked: selected.has(l.id),
          onchange: (ev) => { ev.target.checked ? selected.add(l.id) : selected.delete(l.id); sync(); } }) },
        { label: t('description'), cell: (l) => h('a', { href: '/dashboard/links/' + encodeURIComponent(l.id) }, l.description) },
        { label: t('status'), cell: (l) => badge(l.status) },
        { label: t('amount'), class: 'num', cell: (l) => money(l.amount) },
        { label: t('customer'), cell: (l) => [customerName(l.customer), l.customer && l.customer.email ? h('span', { class: 'muted block' }, l.customer.email) : null] },
        { label: t('created'), cell: (l) => day(l.created_at) },
        { label: t('expires'), cell: (l) => day(l.expires_at) },
        { label: t('last_activity'), cell: (l) => when(lastActivity(l)) },
        { label: h('span', { class: 'visually-hidden' }, t('marks')), cell: (l) => marks(l) },
      ];
      const more = next ? button(t('show_more'), () => { load(next, true); }, { id: 'show-more' }) : null;
      put(results, bulk, h('p', { class: 'muted' }, t('showing', { n: links.length })),
        table(t('payment_links'), cols, links, t('no_links')), more);
      sync();
      if (focusMore) {
        // After "Show more": the focus goes on to the button again, or to
        // the table when everything is shown.
        const target = $('#show-more', results) || $('.table-wrap', results);
        if (target) target.focus();
      }
    }

    function marks(l) {
      const out = [];
      if (l.refund_state && l.refund_state !== 'none') out.push(h('span', { class: 'mark', title: t('refunded'), role: 'img', 'aria-label': t('refunded') }, '↺'));
      if (l.sent_channels && l.sent_channels.length) {
        const label = t('sent_via', { channels: l.sent_channels.map((c) => t('channel_' + c)).join(', ') });
        out.push(h('span', { class: 'mark', title: label, role: 'img', 'aria-label': label }, '✉'));
      }
      return out;
    }

    const chosen = () => links.filter((l) => selected.has(l.id));
    const needOne = () => { if (!selected.size) { say(t('select_first')); return true; } return false; };

    // eachLink calls call for each link, one after the other, and says how
    // many went through (doneKey) and which were refused and why; it
    // returns the ids that went through.
    async function eachLink(list, call, doneKey) {
      const done = new Set();
      const refused = [];
      for (const l of list) {
        try {
          await call(l);
          done.add(l.id);
        } catch (e) {
          refused.push(l.description + ': ' + e.message);
        }
      }
      say(t(doneKey, { n: done.size }) + (refused.length ? ' ' + t('refused_result', { n: refused.length }) + ' ' + refused.join('; ') : ''));
      return done;
    }

    async function bulkArchive() {
      if (needOne()) return;
      const list = chosen();
      const deleted = list.filter(deletedOnArchive).length;
      const body = h('div', {}, h('p', {}, t('archive_confirm', { n: list.length })),
        deleted ? h('p', { class: 'warning' }, t('archive_deletes', { n: deleted })) : null);
      if (await dialog(t('archive_title'), body, [[t('archive'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
      const archived = await eachLink(list, (l) => api('POST', '/v1/payment-links/' + l.id + '/archive', undefined, { idem: newKey() }), 'archived_result');
      links.splice(0, links.length, ...links.filter((l) => !archived.has(l.id)));
      archived.forEach((id) => selected.delete(id));
      draw(true);
    }

    async function bulkExport() {
      if (needOne()) return;
      try {
        // At most 200 ids a request: an address stays far below API
        // Gateway's 10 KB; the parts are one file (the header once).
        const ids = chosen().map((l) => l.id);
        let csvText = '';
        let name = 'payment-links.csv';
        for (let i = 0; i < ids.length; i += EXPORT_CHUNK) {
          const part = await api('GET', '/v1/payment-links/export?' + ids.slice(i, i + EXPORT_CHUNK).map((id) => 'id=' + encodeURIComponent(id)).join('&'), undefined, { blob: true });
          const text = await part.blob.text();
          name = part.name;
          csvText += i === 0 ? text : text.slice(text.indexOf('\n') + 1);
        }
        download(new Blob([csvText], { type: 'text/csv' }), name);
        say(t('exported', { n: selected.size }));
      } catch (e) {
        showError(results, e);
      }
    }

    async function bulkSend() {
      if (needOne()) return;
      const pick = select('channel', channels(), 'email');
      const v = await dialog(t('send_title', { n: selected.size }), h('div', {}, field(t('channel'), pick)), [[t('send'), 'yes'], [t('cancel'), '']]);
      if (v !== 'yes') return;
      const ch = pick.value;
      await eachLink(chosen(), (l) => api('POST', '/v1/payment-links/' + l.id + '/send', { channel: ch }, { idem: newKey() }), 'sent_result');
    }

    loading(results);
    await load('');
  }

  // --- new payment link ------------------------------------------------------
  async function pageLinkNew() {
    const p = new URLSearchParams(location.search);
    let customer = null; // the existing customer chosen
    const form = h('form', { class: 'card wide', novalidate: true });
    const who = h('fieldset', {}, h('legend', {}, t('customer')));
    const mode = (v) => h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'who', value: v, checked: v === 'existing', onchange: drawWho }), ' ', t('who_' + v));
    const picked = h('p', { class: 'picked', 'aria-live': 'polite' });
    // The link speaks its customer's language unless the person picks
    // another (then the new link's language is changed to it).
    let langTouched = false;
    const search = typeahead((c) => {
      customer = c;
      picked.textContent = t('customer_chosen', { name: customerName(c) });
      if (c.language && !langTouched) form.elements.language.value = c.language;
    });
    const inline = h('div', { class: 'row' },
      field(t('first_name'), input('first_name', { autocomplete: 'off' }), 'customer.first_name'),
      field(t('last_name'), input('last_name', { autocomplete: 'off' }), 'customer.last_name'),
      field(t('company_name'), input('company_name', { autocomplete: 'off' }), 'customer.company_name'),
      field(t('email'), input('email', { type: 'email', autocomplete: 'off' }), 'customer.email'),
      field(t('phone'), input('phone', { type: 'tel', autocomplete: 'off' }), 'customer.phone', t('phone_hint')));
    const existing = h('div', {}, search.el, picked);
    who.append(h('div', { class: 'modes' }, mode('existing'), mode('new')), existing, inline);
    function drawWho() {
      const isNew = $('input[name=who]:checked', form).value === 'new';
      existing.hidden = isNew;
      inline.hidden = !isNew;
    }

    const methods = h('fieldset', {}, h('legend', {}, t('payment_methods')));
    const expiry = input('expires', { type: 'date', value: isoDay(30), min: isoDay(1), max: isoDay(90), required: true });
    const reminder = h('input', { type: 'checkbox', name: 'reminder', id: 'reminder' });
    form.append(who,
      h('div', { class: 'row' },
        field(t('amount'), input('amount', { inputmode: 'decimal', required: true, placeholder: '12.50' }), 'amount.value'),
        field(t('currency'), select('currency', ['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'DKK', 'NOK', 'PLN', 'JPY'].map((c) => [c, c]), 'EUR'), 'amount.currency')),
      field(t('description'), input('description', { required: true, maxlength: 140 }), 'description', t('description_hint')),
      h('div', { class: 'row' },
        field(t('reference'), input('reference', { maxlength: 64 }), 'reference', t('reference_hint')),
        field(t('expires'), expiry, 'expires_in_days', t('expires_hint')),
        field(t('language'), select('language', languages(), 'en'), 'customer.language')),
      methods,
      field(t('redirect_url'), input('redirect_url', { type: 'url', placeholder: 'https://' }), 'redirect_url', t('redirect_hint')),
      h('div', { class: 'field check' }, reminder, h('label', { for: 'reminder' }, t('reminder_label'))),
      h('button', { type: 'submit' }, t('create_link')));
    put(app, form);
    drawWho();
    form.elements.language.addEventListener('change', () => { langTouched = true; });
    try {
      const s = await api('GET', '/v1/settings');
      for (const m of s.payment_methods || []) {
        const id = 'pm-' + m;
        methods.append(h('span', { class: 'inline' }, h('input', { type: 'checkbox', name: 'methods', value: m, id, checked: true }), h('label', { for: id }, methodName(m))));
      }
    } catch (e) {
      methods.append(h('p', { class: 'muted' }, t('methods_default')));
    }
    if (p.get('customer')) {
      try {
        customer = await api('GET', '/v1/customers/' + encodeURIComponent(p.get('customer')));
        picked.textContent = t('customer_chosen', { name: customerName(customer) });
        if (customer.language) form.language.value = customer.language;
      } catch (e) {
        showError(form, e);
      }
    }
    const idem = attempt();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const isNew = f.who.value === 'new';
      if (!isNew && !customer) {
        showError(form, new Problem(422, { detail: t('choose_customer'), errors: [{ field: 'customer_search', message: t('choose_customer') }] }));
        return;
      }
      const days = Math.round((Date.parse(f.expires.value + 'T00:00:00Z') - Date.parse(isoDay(0) + 'T00:00:00Z')) / 86400000);
      const body = {
        amount: { currency: f.currency.value, value: f.amount.value.trim().replace(',', '.') },
        description: f.description.value.trim(), origin: 'dashboard', expires_in_days: days,
      };
      if (f.reference.value.trim()) body.reference = f.reference.value.trim();
      if (f.redirect_url.value.trim()) body.redirect_url = f.redirect_url.value.trim();
      const chosenMethods = $$('input[name=methods]', form);
      if (chosenMethods.length && chosenMethods.some((c) => !c.checked)) body.payment_methods = chosenMethods.filter((c) => c.checked).map((c) => c.value);
      if (reminder.checked) body.reminder = { before_expiry_hours: 24 };
      if (isNew) {
        body.customer = { language: f.language.value };
        for (const k of ['first_name', 'last_name', 'company_name', 'email', 'phone']) if (f[k].value.trim()) body.customer[k] = f[k].value.trim();
      } else {
        body.customer_id = customer.id;
      }
      try {
        let link = await api('POST', '/v1/payment-links', body, { idem: idem.key });
        idem.answered();
        clearErrors(form);
        if (!isNew && langTouched && link.language !== f.language.value) {
          link = await api('PATCH', '/v1/payment-links/' + link.id, { language: f.language.value });
        }
        say(t('link_created'));
        await afterCreate(link);
        location.assign('/dashboard/links/' + link.id);
      } catch (e) {
        idem.answered(e);
        showError(form, e);
      }
    });
  }

  // typeahead is a combobox over the customers (q= prefix search).
  function typeahead(onPick) {
    const listId = 'cust-list-' + ++uid;
    const box = input('customer_search', { role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, autocomplete: 'off' });
    const list = h('ul', { id: listId, role: 'listbox', class: 'listbox', hidden: true, 'aria-label': t('customers') });
    let items = [];
    let active = -1;
    let timer = null;
    const show = () => {
      put(list, ...items.map((c, i) => h('li', { role: 'option', id: listId + '-' + i, 'aria-selected': i === active ? 'true' : 'false',
        onmousedown: (ev) => { ev.preventDefault(); pick(i); } }, customerName(c), c.email ? h('span', { class: 'muted' }, ' · ' + c.email) : null)));
      list.hidden = items.length === 0;
      box.setAttribute('aria-expanded', items.length ? 'true' : 'false');
      if (active >= 0) box.setAttribute('aria-activedescendant', listId + '-' + active);
      else box.removeAttribute('aria-activedescendant');
    };
    const pick = (i) => {
      const c = items[i];
      box.value = customerName(c);
      items = [];
      active = -1;
      show();
      onPick(c);
    };
    box.addEventListener('input', () => {
      clearTimeout(timer);
      const q = box.value.trim();
      if (q.length < 1) { items = []; show(); return; }
      timer = setTimeout(async () => {
        try {
          const isEmail = q.includes('@');
          const r = await api('GET', '/v1/customers?' + qs(isEmail ? { email: q.toLowerCase(), limit: 8 } : { q, limit: 8 }));
          items = r.data;
          active = items.length ? 0 : -1;
          show();
        } catch (e) {
          items = [];
          show();
        }
      }, 200);
    });
    box.addEventListener('keydown', (ev) => {
      if (!items.length) return;
      if (ev.key === 'ArrowDown') { active = (active + 1) % items.length; show(); ev.preventDefault(); }
      if (ev.key === 'ArrowUp') { active = (active - 1 + items.length) % items.length; show(); ev.preventDefault(); }
      if (ev.key === 'Enter' && active >= 0) { pick(active); ev.preventDefault(); }
      if (ev.key === 'Escape') { items = []; show(); }
    });
    return { el: h('div', { class: 'combo' }, field(t('find_customer'), box, 'customer_search', t('find_customer_hint')), list) };
  }

  // afterCreate is the send menu of a new link: e-mail, SMS, WhatsApp, copy
  // the link, its QR code; it can be closed.
  async function afterCreate(link) {
    const body = h('div', { class: 'share' }, shareBlock(link, true));
    await dialog(t('link_created_title'), body, [[t('close'), 'close']]);
  }

  // shareBlock: the link's address with Copy link, its QR code (PNG, SVG)
  // and, while it is open, a send per channel.
  function shareBlock(link, withSend) {
    const url = h('input', { type: 'text', readonly: true, value: link.url, 'aria-label': t('link_address') });
    const copied = h('span', { role: 'status', class: 'muted' });
    const out = h('div', {},
      h('div', { class: 'copy' }, url, button(t('copy_link'), async () => {
        try {
          await navigator.clipboard.writeText(link.url);
        } catch (e) {
          url.select();
          document.execCommand('copy');
        }
        copied.textContent = t('copied');
      }), copied),
      h('figure', { class: 'qr' }, h('img', { src: link.qr_url.replace(/\.svg$/, '.png'), alt: t('qr_alt', { description: link.description }), width: 160, height: 160 }),
        h('figcaption', {}, h('a', { href: link.qr_url.replace(/\.(png|svg)$/, '') + '.png', download: link.id + '.png' }, t('qr_png')), ' · ',
          h('a', { href: link.qr_url.replace(/\.(png|svg)$/, '') + '.svg', download: link.id + '.svg' }, t('qr_svg')))));
    const open = !['paid', 'expired'].includes(link.status) && !link.archived;
    if (withSend && open && can('links:send')) {
      const done = h('p', { role: 'status', class: 'muted' });
      out.append(h('div', { class: 'send-menu', role: 'group', 'aria-label': t('send') },
        channels().map(([ch, label]) => button(t('send_by', { channel: label }), async (ev) => {
          try {
            await api('POST', '/v1/payment-links/' + link.id + '/send', { channel: ch }, { idem: newKey() });
            done.textContent = t('send_queued', { channel: label });
          } catch (e) {
            done.textContent = e.message;
          }
          ev.target.focus();
        })), done));
    }
    return out;
  }

  // --- link details -----------------------------------------------------------
  async function pageLink() {
    loading(app);
    let link;
    try {
      link = await api('GET', '/v1/payment-links/' + encodeURIComponent(D.id));
    } catch (e) {
      put(app, alertBox(e));
      return;
    }
    $('h1').textContent = link.description;
    const head = h('div', { class: 'link-head' }, badge(link.status), h('strong', { class: 'amount' }, money(link.amount)),
      link.amount_refunded && Number(link.amount_refunded.value) > 0 ? h('span', { class: 'muted' }, t('refunded_amount', { amount: money(link.amount_refunded) })) : null);
    const actions = h('div', { class: 'actions' },
      h('a', { href: '/dashboard/links/' + link.id + '/preview', class: 'button secondary' }, t('preview')),
      can('links:write') ? button(t('duplicate'), duplicate, { class: 'secondary' }) : null,
      can('links:write') && !link.archived ? button(t('archive'), archive, { class: 'danger' }) : null);
    const tabs = ['details', 'events', 'refunds', 'share'];
    const tablist = h('div', { role: 'tablist', 'aria-label': t('link_sections') });
    const panel = h('div', { role: 'tabpanel', id: 'panel', tabindex: '0' });
    let current = tabs.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'details';
    // shown counts the tabs chosen: a tab's answer that comes after another
    // tab was chosen is dropped.
    let shown = 0;
    const tabButtons = tabs.map((k, i) => h('button', { type: 'button', role: 'tab', id: 'tab-' + k, 'aria-controls': 'panel',
      onclick: () => choose(k), onkeydown: (ev) => {
        const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
        if (d) { const n = tabs[(i + d + tabs.length) % tabs.length]; choose(n); $('#tab-' + n).focus(); ev.preventDefault(); }
      } }, t('tab_' + k)));
    tablist.append(...tabButtons);
    put(app, head, actions, tablist, panel);
    choose(current);

    function choose(k) {
      current = k;
      shown++;
      tabButtons.forEach((b, i) => { b.setAttribute('aria-selected', tabs[i] === k ? 'true' : 'false'); b.tabIndex = tabs[i] === k ? 0 : -1; });
      panel.setAttribute('aria-labelledby', 'tab-' + k);
      history.replaceState(null, '', '#' + k);
      ({ details, events, refunds, share })[k]();
    }

    function details() {
      const c = link.customer || {};
      const rows = [
        [t('customer'), c.id ? h('a', { href: '/dashboard/customers/' + c.id }, customerName(c)) : customerName(c)],
        [t('email'), c.email || '—'], [t('phone'), c.phone || '—'],
        [t('amount'), money(link.amount)], [t('description'), link.description], [t('reference'), link.reference || '—'],
        [t('created'), when(link.created_at)], [t('last_activity'), when(lastActivity(link))], [t('expires'), when(link.expires_at)],
        [t('psp'), link.psp || '—'], [t('psp_reference'), link.psp_reference || '—'], [t('origin'), t('origin_' + link.origin)],
        [t('payment_method'), (link.payment_methods || []).map(methodName).join(', ') || t('methods_all')],
        [t('sent'), (link.sent_channels || []).map((ch) => t('channel_' + ch)).join(', ') || '—'],
        [t('opened'), link.click_count ? t('opened_times', { n: link.click_count, at: when(link.clicked_at) }) : '—'],
        [t('paid_at'), when(link.paid_at)],
      ];
      const langSel = select('language', languages(), link.language);
      const form = h('form', { class: 'inline-form' }, field(t('language'), langSel, 'language'),
        h('button', { type: 'submit' }, t('update_language')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          link = await api('PATCH', '/v1/payment-links/' + link.id, { language: langSel.value });
          say(t('language_updated'));
        } catch (e) {
          showError(form, e);
        }
      });
      put(panel, h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), can('links:write') ? form : null);
    }

    async function events() {
      loading(panel);
      const mine = shown;
      try {
        const r = await api('GET', '/v1/payment-links/' + link.id + '/events');
        if (mine !== shown) return;
        put(panel, h('ol', { class: 'timeline' }, r.data.map((e) => h('li', {},
          h('time', { datetime: e.created_at }, when(e.created_at)), ' ', h('strong', {}, eventLabel(e)),
          e.data && e.data.channel ? ' · ' + t('channel_' + e.data.channel) : '',
          e.data && e.data.reason ? ' · ' + e.data.reason : '',
          h('span', { class: 'muted' }, ' · ' + actorName(e.actor))))));
      } catch (e) {
        put(panel, alertBox(e));
      }
    }

    async function refunds() {
      loading(panel);
      const mine = shown;
      let list = [];
      try {
        list = (await api('GET', '/v1/payment-links/' + link.id + '/refunds')).data;
        if (mine !== shown) return;
      } catch (e) {
        put(panel, alertBox(e));
        return;
      }
      const rows = table(t('refunds'), [
        { label: t('created'), cell: (r) => when(r.created_at) }, { label: t('amount'), class: 'num', cell: (r) => money(r.amount) },
        { label: t('reason'), cell: (r) => r.reason || '—' },
        { label: t('state'), cell: (r) => [h('span', { class: 'badge r-' + r.status }, t('refund_' + r.status)),
          // A refund by bank transfer waits for a refund file, then for the
          // statement that shows it paid.
          r.status === 'pending' && link.psp === 'bank' ? h('span', { class: 'block muted' }, r.bank_file_id
            ? [t('refund_in_file') + ' ', h('a', { href: '/dashboard/refund-files' }, r.bank_file_id)] : t('refund_waits_file')) : null] },
      ], list, t('no_refunds'));
      if (link.status !== 'paid') {
        put(panel, h('p', {}, t('refund_only_paid')), rows);
        return;
      }
      const left = Number(link.amount.value) - Number((link.amount_refunded || {}).value || 0);
      const form = h('form', { class: 'card' }, h('h2', {}, t('refund_title')),
        field(t('amount'), input('amount', { inputmode: 'decimal', placeholder: t('refund_rest') }), 'amount.value', t('refund_left', { amount: money({ currency: link.amount.currency, value: String(left) }) })),
        field(t('reason'), input('reason', { maxlength: 200, required: true }), 'reason'),
        h('button', { type: 'submit', class: 'danger' }, t('refund')));
      const idem = attempt();
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { reason: form.reason.value.trim() };
        if (form.amount.value.trim()) body.amount = { currency: link.amount.currency, value: form.amount.value.trim().replace(',', '.') };
        const what = body.amount ? money(body.amount) : t('refund_rest');
        // A link paid by bank transfer is refunded by a refund file.
        const confirmText = link.psp === 'bank' ? t('refund_link_bank_confirm', { amount: what }) : t('refund_confirm', { amount: what });
        if (await dialog(t('refund_confirm_title'), h('p', {}, confirmText), [[t('refund'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
        try {
          await api('POST', '/v1/payment-links/' + link.id + '/refunds', body, { idem: idem.key });
          idem.answered();
          say(t('refund_requested'));
          link = await api('GET', '/v1/payment-links/' + link.id);
          refunds();
        } catch (e) {
          idem.answered(e);
          showError(form, e);
        }
      });
      put(panel, form, h('h2', {}, t('refunds')), rows);
    }

    function share() {
      put(panel, shareBlock(link, true));
    }

    async function duplicate() {
      try {
        const copy = await api('POST', '/v1/payment-links/' + link.id + '/duplicate', {}, { idem: newKey() });
        location.assign('/dashboard/links/' + copy.id);
      } catch (e) {
        showError(app, e);
      }
    }

    async function archive() {
      const deletes = deletedOnArchive(link);
      const body = h('p', {}, deletes ? t('archive_one_deletes') : t('archive_one'));
      if (await dialog(t('archive_title'), body, [[t('archive'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
      try {
        await api('POST', '/v1/payment-links/' + link.id + '/archive', undefined, { idem: newKey() });
        location.assign(deletes ? '/dashboard' : '/dashboard/links/' + link.id);
      } catch (e) {
        showError(app, e);
      }
    }
  }

  function eventLabel(e) {
    const k = 'event_' + e.type.replace(/[.]/g, '_');
    return S[k] ? t(k) : e.type;
  }
  const actorName = (a) => (a ? (a.type === 'system' ? t('actor_system') : a.name || a.id || a.type) : '');

  // --- preview ------------------------------------------------------------------
  async function pagePreview() {
    loading(app);
    try {
      const p = await api('GET', '/v1/payment-links/' + encodeURIComponent(D.id) + '/preview');
      // The e-mail's section is busy until its frame has loaded.
      const parts = p.messages.map((m) => h('section', { class: 'card wide', 'aria-labelledby': 'pv-' + m.channel, 'aria-busy': m.channel === 'email' ? 'true' : null },
        h('h2', { id: 'pv-' + m.channel }, t('channel_' + m.channel)),
        h('p', {}, m.to ? t('preview_to', { to: m.to }) : h('span', { class: 'warning' }, t('preview_no_address'))),
        m.subject ? h('p', {}, h('strong', {}, t('subject') + ': '), m.subject) : null,
        m.channel === 'email'
          ? h('iframe', { src: '/v1/payment-links/' + encodeURIComponent(D.id) + '/preview/email', title: t('preview_email_frame'), sandbox: '', class: 'mail',
            onload: (ev) => ev.target.closest('section').setAttribute('aria-busy', 'false') })
          : h('pre', { class: 'message' }, m.text)));
      put(app, h('p', {}, t('preview_intro', { merchant: p.merchant_name })),
        h('p', {}, h('a', { href: '/dashboard/links/' + p.link.id }, t('back_to_link'))), ...parts);
    } catch (e) {
      put(app, alertBox(e));
    }
  }

  // --- customers ------------------------------------------------------------------
  async function pageCustomers() {
    const p = new URLSearchParams(location.search);
    const q = p.get('q') || '';
    const form = h('form', { method: 'get', role: 'search', class: 'filters', 'aria-label': t('customers') },
      h('div', { class: 'row' }, field(t('search'), input('q', { type: 'search', value: q }), 'q', t('customer_search_hint'))),
      h('button', { type: 'submit' }, t('search')));
    const top = can('customers:write') ? h('form', { method: 'get', action: '/dashboard/customers/new', class: 'top-action' }, h('button', { type: 'submit' }, t('new_customer'))) : null;
    const results = h('div', {});
    put(app, top, form, results);
    const all = [];
    let next = null;
    async function load(cursor) {
      try {
        const r = q.startsWith('cus_') ? await onePage('/v1/customers/' + encodeURIComponent(q))
          : await api('GET', '/v1/customers?' + qs(Object.assign(q.includes('@') ? { email: q.toLowerCase() } : { q }, { limit: 100, cursor })));
        all.push(...r.data);
        next = r.next_cursor;
        put(results, table(t('customers'), [
          { label: t('name'), rowHeader: true, cell: (c) => h('a', { href: '/dashboard/customers/' + c.id }, customerName(c) || c.id) },
          { label: t('email'), cell: (c) => c.email || '—' }, { label: t('phone'), cell: (c) => c.phone || '—' },
          { label: t('customer_number'), cell: (c) => c.customer_number || '—' }, { label: t('created'), cell: (c) => day(c.created_at) },
        ], all, t('no_customers')), next ? button(t('show_more'), () => load(next)) : null);
      } catch (e) {
        showError(form, e);
      }
    }
    loading(results);
    await load('');
  }

  async function pageCustomer() {
    loading(app);
    let c;
    try {
      c = await api('GET', '/v1/customers/' + encodeURIComponent(D.id));
    } catch (e) {
      put(app, alertBox(e));
      return;
    }
    $('h1').textContent = customerName(c) || c.id;
    const facts = [[t('customer_number'), c.customer_number || '—'], [t('email'), c.email || '—'], [t('phone'), c.phone || '—'],
      [t('language'), t('lang_' + (c.language || 'en'))], [t('country'), c.country || '—'], [t('created'), when(c.created_at)]];
    const plus = can('links:write') && !c.archived && !c.erased
      ? h('form', { method: 'get', action: '/dashboard/links/new', class: 'top-action' }, h('input', { type: 'hidden', name: 'customer', value: c.id }),
        h('button', { type: 'submit' }, h('span', { 'aria-hidden': 'true' }, '+ '), t('new_payment_link')))
      : null;
    const links = h('div', {});
    put(app, h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      c.archived ? h('p', { class: 'warning' }, t('customer_archived')) : null, h('h2', {}, t('payment_links')), plus, links);
    try {
      const r = await api('GET', '/v1/customers/' + c.id + '/payment-links?limit=100');
      put(links, table(t('payment_links'), [
        { label: t('description'), cell: (l) => h('a', { href: '/dashboard/links/' + l.id }, l.description) },
        { label: t('status'), cell: (l) => badge(l.status) }, { label: t('amount'), class: 'num', cell: (l) => money(l.amount) },
        { label: t('created'), cell: (l) => day(l.created_at) },
      ], r.data, t('no_links')));
    } catch (e) {
      put(links, alertBox(e));
    }
  }

  function pageCustomerNew() {
    const form = h('form', { class: 'card wide', novalidate: true },
      h('div', { class: 'row' },
        field(t('first_name'), input('first_name'), 'first_name'), field(t('last_name'), input('last_name'), 'last_name'),
        field(t('company_name'), input('company_name'), 'company_name')),
      h('div', { class: 'row' },
        field(t('email'), input('email', { type: 'email' }), 'email'), field(t('phone'), input('phone', { type: 'tel' }), 'phone', t('phone_hint')),
        field(t('language'), select('language', languages(), 'en'), 'language'), field(t('country'), input('country', { maxlength: 2, placeholder: 'BE' }), 'country'),
        field(t('customer_number'), input('customer_number'), 'customer_number')),
      h('button', { type: 'submit' }, t('create_customer')));
    put(app, form);
    const idem = attempt();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {};
      for (const k of ['first_name', 'last_name', 'company_name', 'email', 'phone', 'language', 'country', 'customer_number']) {
        const v = form.elements[k].value.trim();
        if (v) body[k] = k === 'country' ? v.toUpperCase() : v;
      }
      try {
        const c = await api('POST', '/v1/customers', body, { idem: idem.key });
        location.assign('/dashboard/customers/' + c.id);
      } catch (e) {
        idem.answered(e);
        showError(form, e);
      }
    });
  }

  // --- import --------------------------------------------------------------------
  // The import page shows each member the parts their permissions allow:
  // CSV files of links or customers (links:write), bank statements
  // (payments:review).
  function pageImport() {
    put(app, can('links:write') ? csvImport() : null, can('payments:review') ? statementImport() : null);
    if (location.hash === '#bank-statement' && $('#bank-statement')) $('#bank-statement').focus();
  }

  function csvImport() {
    const kind = select('kind', [['links', t('import_links')], ['customers', t('import_customers')]], 'links');
    const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv', required: true });
    const templates = h('p', {}, t('templates') + ' ',
      h('a', { href: D.linksTemplate, download: 'payment-links-template.csv' }, t('template_links')), ' · ',
      h('a', { href: D.customersTemplate, download: 'customers-template.csv' }, t('template_customers')));
    const form = h('form', { class: 'card wide' }, field(t('import_what'), kind, 'kind'), field(t('csv_file'), file, 'file', t('csv_hint')), templates,
      h('button', { type: 'submit' }, t('import')));
    const progress = h('div', { 'aria-live': 'polite' });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!file.files.length) {
        showError(form, new Problem(422, { detail: t('choose_file'), errors: [{ field: 'file', message: t('choose_file') }] }));
        return;
      }
      const path = kind.value === 'links' ? '/v1/payment-links/import' : '/v1/customers/import';
      try {
        const started = await api('POST', path, file.files[0], { type: 'text/csv', idem: newKey() });
        await follow(started.id);
      } catch (e) {
        showError(form, e);
      }
    });
    // column is the file's column an error's field names: the import
    // reports some as the API's JSON fields (amount.value, customer.email).
    const column = (f) => (f ? f.replace(/^customer\./, '').replace(/^amount\.value$/, 'amount').replace(/^amount\.currency$/, 'currency') : '—');
    async function follow(id) {
      for (let polls = 0; polls < 3000; polls++) {
        const im = await api('GET', '/v1/imports/' + id);
        const total = im.rows_total || 0;
        const done = (im.rows_done || 0) + (im.rows_failed || 0);
        put(progress, h('h3', {}, t('import_progress')),
          h('label', { for: 'import-bar' }, t('import_rows', { done, total })),
          h('progress', { id: 'import-bar', max: total || 1, value: done }),
          h('p', {}, t('import_counts', { ok: im.rows_done || 0, failed: im.rows_failed || 0, status: im.status })),
          (im.errors || []).length ? table(t('import_errors'), [
            { label: t('row'), class: 'num', cell: (e) => String(e.row) }, { label: t('field'), cell: (e) => column(e.field) },
            { label: t('message'), cell: (e) => e.message }], im.errors) : null);
        if (im.status === 'completed' || im.status === 'failed') {
          say(t('import_finished', { ok: im.rows_done || 0, failed: im.rows_failed || 0 }));
          return;
        }
        await sleep(700);
      }
    }
    return h('section', { 'aria-labelledby': 'csv-import' }, h('h2', { id: 'csv-import' }, t('import_csv')), form, progress);
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const MAX_STATEMENT = 10 << 20;

  // statementType is the media type the API takes a statement file as:
  // camt is XML, CODA is text (by its name, else by its first bytes); ''
  // when it is neither.
  async function statementType(f) {
    const name = f.name.toLowerCase();
    if (/\.xml$/.test(name)) return 'application/xml';
    if (/\.(cod|coda|txt)$/.test(name)) return 'text/plain';
    const head = (await f.slice(0, 64).text()).replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith('<')) return 'application/xml';
    if (head.startsWith('0000')) return 'text/plain'; // CODA's header record
    return '';
  }

  function statementImport() {
    const file = h('input', { type: 'file', name: 'statement', accept: '.xml,.cod,.coda,.txt,application/xml,text/xml,text/plain' });
    const form = h('form', { class: 'card wide' }, h('p', {}, t('statement_import_intro')),
      field(t('statement_file'), file, 'statement', t('statement_hint')), h('button', { type: 'submit' }, t('upload_statement')));
    const out = h('div', { id: 'statement-progress' });
    const refuse = (msg) => showError(form, new Problem(422, { detail: msg, errors: [{ field: 'statement', message: msg }] }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      put(out);
      const f = file.files[0];
      if (!f) return refuse(t('choose_statement'));
      if (f.size > MAX_STATEMENT) return refuse(t('statement_too_large'));
      const type = await statementType(f);
      if (!type) return refuse(t('not_a_statement'));
      let started;
      try {
        started = await api('POST', '/v1/bank-statements', f, { type, idem: newKey() });
      } catch (e) {
        if (e.status === 422) return refuse(t('not_a_statement'));
        if (e.status === 413) return refuse(t('statement_too_large'));
        return showError(form, e);
      }
      say(t('statement_reading', { entries: 0 }));
      try {
        await followStatement(started.id, out);
      } catch (e) {
        put(out, alertBox(e));
      }
    });
    return h('section', { 'aria-labelledby': 'bank-statement' },
      h('h2', { id: 'bank-statement', tabindex: '-1' }, t('statement_import')), form, out);
  }

  // followStatement shows the statement while it is read, until it is
  // done or failed.
  async function followStatement(id, out) {
    for (let polls = 0; polls < 1800; polls++) {
      const st = await api('GET', '/v1/bank-statements/' + encodeURIComponent(id));
      const line = statementLine(st);
      put(out, line, statementFacts(st), h('p', {}, h('a', { href: '/dashboard/bank-statements/' + st.id }, t('open_statement'))));
      if (st.status !== 'processing') {
        say(line.textContent);
        return st;
      }
      await sleep(700);
    }
    return null;
  }

  // statementLine says where a statement is: being read, read, or failed
  // (with the reader's reason).
  function statementLine(st) {
    if (st.status === 'failed') {
      return h('div', { class: 'error' }, h('p', {}, t('statement_failed', { error: String(st.error || '—').replace(/\.$/, '') })));
    }
    return h('p', { class: 'range' }, t(st.status === 'done' ? 'statement_read' : 'statement_reading', { entries: st.entries }));
  }

  // --- bank: statements, their entries, refund files -------------------------------
  // iban shows an account by its last four characters only.
  function iban(s) {
    if (!s) return '—';
    const clean = String(s).replace(/\s+/g, '');
    return h('span', { class: 'iban' }, h('span', { class: 'visually-hidden' }, t('iban_ending') + ' '),
      h('span', { 'aria-hidden': 'true' }, '•••• '), clean.slice(-4));
  }
  const formatName = (f) => (f === 'coda' ? 'CODA' : f || '—');
  const statementBadge = (st) => h('span', { class: 'badge b-' + st.status }, t('statement_status_' + st.status));
  const counts = (st) => t('statement_counts', { matched: st.matched, review: st.review, ignored: st.ignored, duplicates: st.duplicates });

  function statementFacts(st) {
    const rows = [
      [t('status'), statementBadge(st)], [t('format'), formatName(st.format)], [t('account'), iban(st.account_iban)],
      [t('received'), when(st.created_at)], [t('source'), S['source_' + st.source] ? t('source_' + st.source) : st.source || '—'],
      [t('entries'), String(st.entries) + ' · ' + counts(st)],
    ];
    return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  // bankNav links the bank's pages.
  function bankNav(active) {
    const items = [['statements', '/dashboard/bank-statements'], ['refund_files', '/dashboard/refund-files']];
    return h('nav', { 'aria-label': t('bank_sections'), class: 'presets' }, h('ul', {}, items.map(([k, href]) =>
      h('li', {}, h('a', { href, 'aria-current': k === active ? 'page' : null }, t('bank_tab_' + k))))));
  }

  // more is a listing's "Show more" (none at the end).
  const more = (next, load) => (next ? button(t('show_more'), () => load(next), { class: 'secondary' }) : null);

  async function pageStatements() {
    const out = h('div', {});
    put(app, bankNav('statements'), h('p', {}, t('statements_intro')),
      h('p', { class: 'top-action' }, h('a', { href: '/dashboard/import#bank-statement', class: 'button' }, t('import_statement_link'))), out);
    loading(out);
    const all = [];
    async function load(cursor) {
      try {
        const r = await api('GET', '/v1/bank-statements?' + qs({ limit: 50, cursor }));
        all.push(...r.data);
        put(out, table(t('statements_table'), [
          { label: t('received'), rowHeader: true, cell: (st) => h('a', { href: '/dashboard/bank-statements/' + st.id }, when(st.created_at)) },
          { label: t('account'), cell: (st) => iban(st.account_iban) }, { label: t('format'), cell: (st) => formatName(st.format) },
          { label: t('entries'), class: 'num', cell: (st) => String(st.entries) }, { label: t('matched'), class: 'num', cell: (st) => String(st.matched) },
          { label: t('to_review'), class: 'num', cell: (st) => String(st.review) }, { label: t('ignored'), class: 'num', cell: (st) => String(st.ignored) },
          { label: t('duplicates'), class: 'num', cell: (st) => String(st.duplicates) },
          { label: t('status'), cell: (st) => [statementBadge(st), st.error ? h('p', { class: 'field-error' }, st.error) : null] },
        ], all, t('no_statements')), more(r.next_cursor, load));
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    await load('');
  }

  // reviewKind is the kind of review item an entry's reason opened.
  const reviewKind = (reason) => ({ no_reference: 'unmatched', unknown_reference: 'unmatched', second: 'second', mismatched: 'mismatched', reversal: 'reversal' })[reason] || '';

  function reasonText(e) {
    const key = 'reason_' + e.outcome + '_' + e.reason;
    return S[key] ? t(key) : e.reason;
  }

  async function pageStatement() {
    loading(app);
    let st;
    try {
      st = await api('GET', '/v1/bank-statements/' + encodeURIComponent(D.id));
    } catch (e) {
      put(app, alertBox(e));
      return;
    }
    $('h1').textContent = t('statement_of', { date: day(st.created_at) });
    document.title = $('h1').textContent + ' · paylinks';
    const head = h('div', {});
    const out = h('div', {});
    put(app, bankNav('statements'), head, h('h2', {}, t('entries_table')), out);
    while (st.status === 'processing') {
      put(head, statementLine(st), statementFacts(st));
      put(out, h('p', { class: 'muted' }, t('statement_wait')));
      await sleep(1000);
      st = await api('GET', '/v1/bank-statements/' + encodeURIComponent(st.id));
    }
    put(head, statementLine(st), statementFacts(st));
    const all = [];
    async function load(cursor) {
      try {
        const r = await api('GET', '/v1/bank-statements/' + encodeURIComponent(st.id) + '/entries?' + qs({ limit: 100, cursor }));
        all.push(...r.data);
        put(out, table(t('entries_table'), [
          { label: t('booked_on'), cell: (e) => (e.booked_on ? day(e.booked_on + 'T12:00:00Z') : '—') },
          { label: t('amount'), class: 'num', cell: (e) => (e.credit ? '+' : '−') + money(e.amount) },
          { label: t('party'), cell: (e) => (e.debtor ? [e.debtor.name || t('unknown_payer'), h('br'), iban(e.debtor.iban)] : '—') },
          { label: t('text'), cell: (e) => [e.reference ? h('span', { class: 'block' }, e.reference) : null, e.remittance ? h('span', { class: 'block muted' }, e.remittance) : null, !e.reference && !e.remittance ? '—' : null] },
          { label: t('outcome'), cell: (e) => [h('span', { class: 'badge o-' + e.outcome }, t('outcome_' + e.outcome)), h('span', { class: 'block' }, reasonText(e))] },
          { label: h('span', { class: 'visually-hidden' }, t('link')), cell: (e) => [
            e.review_id ? h('a', { href: '/dashboard/review?' + qs({ kind: reviewKind(e.reason) }) + '#' + e.review_id, class: 'block' }, t('open_review')) : null,
            e.link_id ? h('a', { href: '/dashboard/links/' + e.link_id, class: 'block' }, t('open_link')) : null] },
        ], all, st.status === 'failed' ? t('statement_failed', { error: String(st.error || '—').replace(/\.$/, '') }) : t('no_entries')), more(r.next_cursor, load));
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    await load('');
  }

  // refundsWaiting is the preview of the next refund file in words: its
  // count and total.
  const refundsWaiting = (n, total) => (n === 1 ? t('refund_next_one', { total }) : t('refund_next_many', { n, total }));

  // pageRefundFiles shows what the next refund file would hold before it is
  // made (GET /v1/bank-refund-files/next), offers Create only when a refund
  // waits, and lists the files made.
  async function pageRefundFiles() {
    const out = h('div', {});
    const result = h('div', {});
    const next = h('div', { id: 'refund-next', class: 'card wide' });
    const reviewer = can('payments:review');
    put(app, bankNav('refund_files'), h('p', {}, t('refund_files_intro')), reviewer ? next : null, result, out);
    loading(out);
    const all = [];
    async function load(cursor) {
      try {
        const r = await api('GET', '/v1/bank-refund-files?' + qs({ limit: 50, cursor }));
        if (!cursor) all.length = 0;
        all.push(...r.data);
        put(out, table(t('refund_files_table'), [
          { label: t('created'), rowHeader: true, cell: (f) => when(f.created_at) },
          { label: t('refunds'), class: 'num', cell: (f) => String(f.refunds) }, { label: t('total'), class: 'num', cell: (f) => money(f.total) },
          { label: t('status'), cell: (f) => (S['refund_file_status_' + f.status] ? t('refund_file_status_' + f.status) : f.status) },
          { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (f) => downloadButton(f) },
        ], all, t('no_refund_files')), more(r.next_cursor, load));
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    // preview shows the next file's count and total, and Create when a
    // refund waits; it returns the preview (null when it failed).
    async function preview() {
      let p;
      try {
        p = await api('GET', '/v1/bank-refund-files/next');
      } catch (e) {
        put(next, alertBox(e));
        return null;
      }
      if (!p.refunds) {
        put(next, h('p', {}, t('refund_file_nothing')));
        return p;
      }
      put(next, h('p', { class: 'range' }, refundsWaiting(p.refunds, money(p.total))),
        p.more ? h('p', { class: 'warning' }, t('refund_next_more')) : null,
        h('p', { class: 'top-action' }, button(t('create_refund_file'), createFile, { id: 'create-refund-file' })));
      return p;
    }
    function downloadButton(f) {
      return button(t('download_xml'), async () => {
        try {
          const r = await api('GET', '/v1/bank-refund-files/' + encodeURIComponent(f.id), undefined, { accept: 'application/xml', blob: true, name: f.id + '.xml' });
          download(r.blob, r.name);
        } catch (e) {
          showError(result, e);
        }
      }, { class: 'secondary', 'aria-label': t('download_refund_file', { id: f.id }) });
    }
    async function createFile() {
      clearErrors(result);
      // The count and total named are those of now: another member may
      // have made a file since the page was shown.
      const p = await preview();
      if (!p || !p.refunds) return;
      const what = p.refunds === 1 ? t('refund_file_confirm_one', { total: money(p.total) }) : t('refund_file_confirm_many', { n: p.refunds, total: money(p.total) });
      const body = [h('p', {}, what), p.more ? h('p', { class: 'warning' }, t('refund_next_more')) : null];
      if (await dialog(t('refund_file_confirm_title'), body, [[t('create'), 'yes', 'primary'], [t('cancel'), '']]) !== 'yes') return;
      try {
        const f = await api('POST', '/v1/bank-refund-files', undefined, { idem: newKey() });
        const ready = t('refund_file_ready', { n: f.refunds, total: money(f.total) });
        put(result, h('div', { class: 'card wide' }, h('p', { class: 'range' }, ready), h('p', {}, t('refund_file_upload')), downloadButton(f),
          f.more ? h('p', { class: 'warning' }, t('refund_file_more')) : null));
        say(ready);
        await Promise.all([load(''), preview()]);
      } catch (e) {
        if (e.status === 409) {
          put(result, h('p', { class: 'warning', role: 'alert' }, t('refund_file_nothing')));
          await preview();
          return;
        }
        showError(result, e);
      }
    }
    await Promise.all(reviewer ? [load(''), preview()] : [load('')]);
  }

  // --- payments to review ------------------------------------------------------------
  // A bank payment (psp bank) shows its payer and text; an open unmatched
  // one can be matched to a link by hand. Refunds of bank payments go back
  // by a refund file.
  async function pageReview() {
    const kinds = ['unmatched', 'second', 'mismatched', 'reversal'];
    const p = new URLSearchParams(location.search);
    const kind = kinds.includes(p.get('kind')) ? p.get('kind') : 'unmatched';
    const nav = h('nav', { 'aria-label': t('review_kinds'), class: 'presets' }, h('ul', {}, kinds.map((k) =>
      h('li', {}, h('a', { href: '?kind=' + k, 'aria-current': k === kind ? 'page' : null }, t('review_' + k))))));
    const results = h('div', {});
    put(app, h('p', {}, t('review_intro')), nav, results);
    loading(results);
    const isBank = (x) => x.psp === 'bank';
    const payerName = (x) => (x.debtor && x.debtor.name) || t('unknown_payer');
    const target = location.hash.slice(1);
    const all = [];
    async function load(cursor) {
      const r = await api('GET', '/v1/payments/review?' + qs({ kind, limit: 100, cursor }));
      all.push(...r.data);
      put(results, table(t('review_' + kind), [
        { label: t('received'), cell: (x) => when(x.received_at) },
        { label: t('psp'), cell: (x) => [S['psp_' + x.psp] ? t('psp_' + x.psp) : x.psp, h('span', { class: 'block muted ref' }, x.psp_reference)] },
        { label: t('payer'), cell: (x) => (isBank(x) ? [payerName(x), x.debtor && x.debtor.iban ? [h('br'), iban(x.debtor.iban)] : null,
          x.remittance ? h('span', { class: 'block muted' }, x.remittance) : null] : '—') },
        { label: t('amount'), class: 'num', cell: (x) => money(x.amount) },
        { label: t('expected'), class: 'num', cell: (x) => (x.expected ? money(x.expected) : '—') },
        { label: t('link'), cell: (x) => (x.link_id ? h('a', { href: '/dashboard/links/' + x.link_id, class: 'ref' }, x.link_id) : '—') },
        { label: t('state'), cell: (x) => t('review_state_' + x.state) },
        { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (x) => actions(x) },
      ], all, t('review_none'), (x) => ({ id: x.id, class: x.id === target ? 'target' : null, tabindex: x.id === target ? '-1' : null })),
      more(r.next_cursor, load));
      const row = target && document.getElementById(target);
      if (row) {
        row.scrollIntoView({ block: 'center' });
        row.focus();
      } else if (target && r.next_cursor && all.length < 1000) {
        await load(r.next_cursor);
      }
    }
    try {
      await load('');
    } catch (e) {
      put(results, alertBox(e));
    }

    function actions(x) {
      if (x.state !== 'open' || !can('payments:review') || x.kind === 'reversal') return '';
      const refund = isBank(x)
        ? button(t('refund'), () => refundReview(x), { class: 'secondary', 'aria-label': t('refund_payment_from', { name: payerName(x) }) })
        : button(t('refund'), () => refundReview(x), { 'aria-label': t('refund_payment', { ref: x.psp_reference }) });
      const match = isBank(x) && x.kind === 'unmatched'
        ? button(t('match'), () => matchDialog(x, payerName(x)), { 'aria-label': t('match_payment_from', { name: payerName(x) }) }) : null;
      return h('span', { class: 'inline' }, match, refund);
    }

    async function refundReview(x) {
      const text = isBank(x)
        ? t('refund_bank_confirm', { amount: money(x.amount), name: payerName(x), iban: x.debtor && x.debtor.iban ? '•••• ' + x.debtor.iban.replace(/\s+/g, '').slice(-4) : '—' })
        : t('refund_review_confirm', { amount: money(x.amount), psp: x.psp });
      if (await dialog(t('refund_confirm_title'), h('p', {}, text), [[t('refund'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
      try {
        await api('POST', '/v1/payments/review/' + x.id + '/refund', undefined, { idem: newKey() });
        say(t('refund_requested'));
        pageReview();
      } catch (e) {
        showError(app, e.status === 409 ? new Problem(409, { detail: t('refund_conflict') }) : e);
      }
    }
  }

  // matchDialog lets the person find an open payment link of exactly the
  // payment's amount, choose it, confirm, and match.
  function matchDialog(x, name) {
    const amount = money(x.amount);
    const id = 'd' + ++uid;
    const d = h('dialog', { 'aria-labelledby': id, class: 'wide' });
    const close = () => d.close();
    d.addEventListener('close', () => d.remove());
    document.body.append(d);
    let links = [];
    const q = input('q', { type: 'search' });
    const chooser = h('div', {});
    const search = h('form', { role: 'search', 'aria-label': t('find_link') },
      h('div', { class: 'row' }, field(t('find_link'), q, 'q', t('find_link_hint'))), h('button', { type: 'submit', class: 'secondary' }, t('find')));
    const choose = h('form', {}, chooser, h('div', { class: 'actions' },
      h('button', { type: 'submit' }, t('continue')), h('button', { type: 'button', class: 'secondary', onclick: close }, t('cancel'))));
    search.addEventListener('submit', (ev) => { ev.preventDefault(); find(q.value.trim()); });
    choose.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const picked = $('input[name=link]:checked', choose);
      if (!picked) {
        showError(choose, new Problem(422, { detail: t('choose_link_first') }));
        return;
      }
      confirmStep(links.find((l) => l.id === picked.value));
    });
    function chooseStep() {
      put(d, h('h2', { id }, t('match_title')),
        h('p', {}, t('match_intro', { amount, name, date: day(x.received_at) }), ' ', h('strong', {}, t('match_only_exact', { amount }))),
        x.remittance ? h('p', { class: 'muted' }, x.remittance) : null, search, choose);
      q.focus();
    }
    const label = (l) => [l.description, l.reference, customerName(l.customer), t('created') + ' ' + day(l.created_at),
      l.status !== 'created' ? t('status_' + l.status) : null].filter(Boolean).join(' · ');
    async function find(text) {
      loading(chooser);
      const base = { amount_min: x.amount.value, amount_max: x.amount.value, created_from: isoDay(-366) + 'T00:00:00Z', limit: 100 };
      try {
        let found;
        if (/^pl_[0-9A-Za-z]{26}$/.test(text)) found = (await onePage('/v1/payment-links/' + encodeURIComponent(text))).data;
        else if (text) {
          const [byRef, byCustomer] = await Promise.all([api('GET', '/v1/payment-links?' + qs(Object.assign({}, base, { reference: text }))),
            api('GET', '/v1/payment-links?' + qs(Object.assign({}, base, { customer: text })))]);
          found = [...byRef.data, ...byCustomer.data];
        } else found = (await api('GET', '/v1/payment-links?' + qs(base))).data;
        // Only a link of exactly the payment's money that can still be
        // paid: the API would refuse any other.
        const seen = new Set();
        links = found.filter((l) => !seen.has(l.id) && seen.add(l.id) && l.amount.currency === x.amount.currency &&
          Number(l.amount.value) === Number(x.amount.value) && l.status !== 'paid' && !l.archived);
      } catch (e) {
        put(chooser, alertBox(e));
        return;
      }
      if (!links.length) {
        put(chooser, h('p', { class: 'empty', role: 'status' }, t('match_none', { amount })));
        return;
      }
      put(chooser, h('fieldset', {}, h('legend', {}, t('match_links', { amount })),
        links.map((l) => h('div', { class: 'field check' }, h('input', { type: 'radio', name: 'link', value: l.id, id: 'm-' + l.id }),
          h('label', { for: 'm-' + l.id }, label(l))))));
    }
    function confirmStep(l) {
      const go = h('button', { type: 'button' }, t('match_payment'));
      const box = h('div', {}, h('h2', { id }, t('match_title')),
        h('p', {}, t('match_confirm', { amount, name, link: l.description + (l.reference ? ' (' + l.reference + ')' : '') })),
        h('div', { class: 'actions' }, go, h('button', { type: 'button', class: 'secondary', onclick: () => { chooseStep(); } }, t('back'))));
      put(d, box);
      go.addEventListener('click', async () => {
        try {
          await api('POST', '/v1/payments/review/' + x.id + '/match', { link_id: l.id }, { idem: newKey() });
          d.close();
          say(t('matched_result', { link: l.description }));
          pageReview();
        } catch (e) {
          const plain = e.status === 409 ? t('match_conflict') : e.status === 422 ? t('match_invalid', { amount }) : null;
          showError(box, plain ? new Problem(e.status, { detail: plain }) : e);
        }
      });
      go.focus();
    }
    chooseStep();
    d.showModal();
    q.focus();
    find('');
  }

  // --- settings -------------------------------------------------------------------
  async function pageSettings() {
    loading(app);
    let s;
    try {
      s = await api('GET', '/v1/settings');
    } catch (e) {
      put(app, alertBox(e));
      return;
    }
    const sections = ['general', 'webhooks', 'keys', 'members', 'audit'];
    const nav = h('nav', { 'aria-label': t('settings_sections'), class: 'presets' }, h('ul', {}, sections.map((k) => h('li', {}, h('a', { href: '#' + k }, t('settings_' + k))))));
    const boxes = Object.fromEntries(sections.map((k) => [k, h('section', { id: k, 'aria-labelledby': k + '-h' }, h('h2', { id: k + '-h' }, t('settings_' + k)))]));
    put(app, nav, ...sections.map((k) => boxes[k]));
    boxes.general.append(generalForm(s));
    deliveries(boxes.webhooks);
    keys(boxes.keys);
    members(boxes.members);
    audit(boxes.audit);
  }

  function generalForm(s) {
    const b = s.default_beneficiary || {};
    const methods = (D.methods || '').split(' ').filter(Boolean);
    const form = h('form', { class: 'card wide', novalidate: true },
      field(t('merchant_name'), input('name', { value: s.name || '' }), 'name'),
      h('fieldset', {}, h('legend', {}, t('beneficiary')),
        h('div', { class: 'row' },
          field(t('beneficiary_name'), input('b_name', { value: b.name || '' }), 'default_beneficiary.name'),
          field(t('bank'), input('b_bank', { value: b.bank || '' }), 'default_beneficiary.bank'),
          field(t('iban'), input('b_iban', { value: b.iban || '', autocomplete: 'off' }), 'default_beneficiary.iban'),
          field(t('bic'), input('b_bic', { value: b.bic || '' }), 'default_beneficiary.bic', t('bic_hint')))),
      field(t('redirect_domains'), h('textarea', { name: 'domains', rows: 3 }, (s.redirect_domains || []).join('\n')), 'redirect_domains', t('redirect_domains_hint')),
      h('fieldset', {}, h('legend', {}, t('payment_methods')), methods.map((m) => h('span', { class: 'inline' },
        h('input', { type: 'checkbox', name: 'pm', value: m, id: 'pm-' + m, checked: (s.payment_methods || []).includes(m) }), h('label', { for: 'pm-' + m }, methodName(m))))),
      h('fieldset', {}, h('legend', {}, t('psp')),
        field(t('psp'), input('psp', { value: s.psp || '' }), 'psp'),
        field(t('psp_credentials'), h('textarea', { name: 'creds', rows: 2, autocomplete: 'off', placeholder: 'api_key=…' }), 'psp_credentials',
          t('psp_credentials_hint', { set: (s.psp_credentials_set || []).join(', ') || t('none') }))),
      h('fieldset', {}, h('legend', {}, t('outbound_webhooks')),
        field(t('webhook_url'), input('webhook_url', { type: 'url', value: s.webhook_url || '' }), 'webhook_url'),
        field(t('webhook_secret'), input('webhook_secret', { type: 'password', autocomplete: 'new-password' }), 'webhook_secret', s.webhook_secret_set ? t('secret_set') : t('secret_unset'))),
      h('div', { class: 'field check' }, h('input', { type: 'checkbox', name: 'require_mfa', id: 'require_mfa', checked: s.require_mfa }), h('label', { for: 'require_mfa' }, t('require_mfa'))),
      can('settings:write') ? h('button', { type: 'submit' }, t('save_settings')) : h('p', { class: 'muted' }, t('settings_read_only')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const body = {
        name: f.name.value.trim(),
        redirect_domains: f.domains.value.split(/\s+/).map((x) => x.trim()).filter(Boolean),
        payment_methods: $$('input[name=pm]', form).filter((c) => c.checked).map((c) => c.value),
        require_mfa: f.require_mfa.checked,
      };
      if (f.b_name.value.trim() || f.b_iban.value.trim()) body.default_beneficiary = { name: f.b_name.value.trim(), iban: f.b_iban.value.replace(/\s+/g, ''), bic: f.b_bic.value.trim() || undefined, bank: f.b_bank.value.trim() || undefined };
      if (f.psp.value.trim() && f.psp.value.trim() !== s.psp) body.psp = f.psp.value.trim();
      const creds = f.creds.value.split('\n').map((l) => l.trim()).filter(Boolean);
      if (creds.length) {
        if (!body.psp) body.psp = f.psp.value.trim();
        body.psp_credentials = Object.fromEntries(creds.map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()]; }));
      }
      if (f.webhook_url.value.trim() !== (s.webhook_url || '')) body.webhook_url = f.webhook_url.value.trim();
      if (f.webhook_secret.value) body.webhook_secret = f.webhook_secret.value;
      try {
        await api('PUT', '/v1/settings', body);
        f.creds.value = '';
        f.webhook_secret.value = '';
        say(t('settings_saved'));
        // The errors of an earlier save go, with their marks on the fields.
        $$('.error, .field-error', form).forEach((el) => el.remove());
        $$('[aria-invalid]', form).forEach((el) => {
          el.removeAttribute('aria-invalid');
          const hint = document.getElementById(el.id + '-hint');
          if (hint) el.setAttribute('aria-describedby', hint.id);
          else el.removeAttribute('aria-describedby');
        });
      } catch (e) {
        showError(form, e);
      }
    });
    return form;
  }

  async function deliveries(box) {
    const out = h('div', {});
    box.append(out);
    try {
      const r = await api('GET', '/v1/webhook-deliveries?limit=50');
      put(out, table(t('deliveries_table'), [
        { label: t('event'), cell: (d) => d.event_type }, { label: t('link'), cell: (d) => h('a', { href: '/dashboard/links/' + d.link_id }, d.link_id) },
        { label: t('state'), cell: (d) => (S['delivery_' + d.status] ? t('delivery_' + d.status) : d.status) }, { label: t('attempts'), class: 'num', cell: (d) => String(d.attempts) },
        { label: t('updated'), cell: (d) => when(d.updated_at) },
        { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (d) => (d.status !== 'succeeded' && can('settings:write')
          ? button(t('retry'), async () => {
            try {
              await api('POST', '/v1/webhook-deliveries/' + d.id + '/retry', undefined, { idem: newKey() });
              say(t('retry_queued'));
            } catch (e) { showError(box, e); }
          }, { 'aria-label': t('retry_delivery', { event: d.event_type }) }) : '') },
      ], r.data, t('no_deliveries')));
    } catch (e) {
      put(out, alertBox(e));
    }
  }

  async function keys(box) {
    const out = h('div', {});
    const all = ['links:read', 'links:write', 'links:send', 'refunds:write', 'payments:review', 'exports:read', 'customers:read', 'customers:write',
      'customers:erase', 'settings:read', 'settings:write', 'keys:write', 'members:write', 'audit:read'];
    const form = h('form', { class: 'card wide' }, h('h3', {}, t('new_key')), field(t('key_name'), input('key_name', { maxlength: 64 }), 'name'),
      h('fieldset', {}, h('legend', {}, t('key_permissions')), h('p', { class: 'hint' }, t('key_permissions_hint')),
        all.map((p) => h('span', { class: 'inline' }, h('input', { type: 'checkbox', name: 'perm', value: p, id: 'perm-' + p }), h('label', { for: 'perm-' + p }, p)))),
      h('button', { type: 'submit' }, t('create_key')));
    box.append(form, out);
    const idem = attempt();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { name: form.key_name.value.trim() };
      const chosen = $$('input[name=perm]', form).filter((c) => c.checked).map((c) => c.value);
      if (chosen.length) body.permissions = chosen;
      try {
        const k = await api('POST', '/v1/api-keys', body, { idem: idem.key });
        idem.answered();
        form.reset();
        $$('.error, .field-error', form).forEach((el) => el.remove());
        await dialog(t('key_created'), h('div', {}, h('p', {}, t('key_once')), h('code', { class: 'secret' }, k.secret)), [[t('close'), 'close']]);
        list();
      } catch (e) {
        idem.answered(e);
        showError(form, e);
      }
    });
    async function list() {
      try {
        const r = await api('GET', '/v1/api-keys');
        put(out, table(t('keys_table'), [
          { label: t('key_name'), cell: (k) => k.name || '—' }, { label: t('key'), cell: (k) => h('code', {}, k.prefix + '…' + k.last4) },
          { label: t('key_permissions'), cell: (k) => (k.restricted ? (k.permissions || []).join(', ') : t('all_permissions')) },
          { label: t('created'), cell: (k) => day(k.created_at) }, { label: t('last_used'), cell: (k) => when(k.last_used_at) },
          { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (k) => button(t('revoke'), async () => {
            if (await dialog(t('revoke_title'), h('p', {}, t('revoke_confirm', { key: k.prefix + '…' + k.last4 })), [[t('revoke'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
            try { await api('DELETE', '/v1/api-keys/' + k.id); say(t('key_revoked')); list(); } catch (e) { showError(box, e); }
          }, { class: 'danger', 'aria-label': t('revoke_key', { key: k.name || k.last4 }) }) },
        ], r.data, t('no_keys')));
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    list();
  }

  async function members(box) {
    const roles = ['owner', 'admin', 'finance', 'operator', 'viewer'];
    const out = h('div', {});
    const form = h('form', { class: 'card wide' }, h('h3', {}, t('invite')),
      h('div', { class: 'row' }, field(t('email'), input('email', { type: 'email' }), 'email'),
        field(t('role'), select('role', roles.map((r) => [r, t('role_' + r)]), 'viewer'), 'role')),
      h('button', { type: 'submit' }, t('invite')));
    box.append(form, out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', '/v1/members', { email: form.email.value.trim(), role: form.role.value }, { idem: newKey() });
        say(t('invited', { email: form.email.value.trim() }));
        form.email.value = '';
        list();
      } catch (e) {
        showError(form, e);
      }
    });
    async function list() {
      try {
        const r = await api('GET', '/v1/members');
        put(out, table(t('members_table'), [
          { label: t('email'), rowHeader: true, cell: (m) => m.email },
          { label: t('role'), cell: (m) => {
            // Browsing the options changes nothing: the button does.
            const sel = select('role', roles.map((x) => [x, t('role_' + x)]), m.role, { 'aria-label': t('role_of', { email: m.email }) });
            const change = button(t('change_role'), async () => {
              if (sel.value === m.role) return;
              try {
                await api('PATCH', '/v1/members/' + m.id, { role: sel.value });
                m.role = sel.value;
                say(t('role_changed', { email: m.email }));
              } catch (e) {
                sel.value = m.role;
                showError(box, e);
              }
            }, { class: 'secondary', 'aria-label': t('change_role_of', { email: m.email }) });
            return h('span', { class: 'inline' }, sel, change);
          } },
          { label: t('state'), cell: (m) => t('member_' + m.status) }, { label: t('last_sign_in'), cell: (m) => when(m.last_sign_in_at) },
          { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (m) => button(t('remove'), async () => {
            if (await dialog(t('remove_title'), h('p', {}, t('remove_confirm', { email: m.email })), [[t('remove'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
            try { await api('DELETE', '/v1/members/' + m.id); say(t('removed', { email: m.email })); list(); } catch (e) { showError(box, e); }
          }, { class: 'danger', 'aria-label': t('remove_member', { email: m.email }) }) },
        ], r.data, t('no_members')));
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    list();
  }

  async function audit(box) {
    const out = h('div', {});
    box.append(out);
    const all = [];
    async function load(cursor) {
      try {
        const r = await api('GET', '/v1/audit-log?' + qs({ limit: 50, cursor }));
        all.push(...r.data);
        put(out, table(t('audit_table'), [
          { label: t('when'), cell: (a) => when(a.at) }, { label: t('who'), cell: (a) => actorName(a.actor) },
          { label: t('action'), cell: (a) => a.action }, { label: t('resource'), cell: (a) => a.resource }, { label: t('ip'), cell: (a) => a.ip || '—' },
        ], all, t('no_audit')), r.next_cursor ? button(t('show_more'), () => load(r.next_cursor)) : null);
      } catch (e) {
        put(out, alertBox(e));
      }
    }
    load('');
  }

  // --- insights ----------------------------------------------------------------------
  const MAX_INSIGHT_PAGES = 20;
  const MAX_INSIGHT_DAYS = 366;

  async function pageInsights() {
    const p = new URLSearchParams(location.search);
    // A period is a valid day range of at most a year (a crafted address
    // must not draw millions of days).
    const dayRe = /^\d{4}-\d{2}-\d{2}$/;
    let to = dayRe.test(p.get('to') || '') && !isNaN(Date.parse(p.get('to'))) ? p.get('to') : isoDay(0);
    let from = dayRe.test(p.get('from') || '') && !isNaN(Date.parse(p.get('from'))) ? p.get('from') : isoDay(-30, to + 'T00:00:00Z');
    let clamped = false;
    if (from > to) [from, to] = [to, from];
    if (to > isoDay(0)) to = isoDay(0); // no link is made in the future
    if (from > to) from = to;
    if (Date.parse(to) - Date.parse(from) > MAX_INSIGHT_DAYS * 86400000) {
      from = isoDay(-MAX_INSIGHT_DAYS, to + 'T00:00:00Z');
      clamped = true;
    }
    const form = h('form', { method: 'get', class: 'filters', 'aria-label': t('period') },
      h('div', { class: 'row' }, field(t('from'), input('from', { type: 'date', value: from }), 'created_from'), field(t('to'), input('to', { type: 'date', value: to }), 'created_to')),
      h('button', { type: 'submit' }, t('apply')));
    const out = h('div', {});
    put(app, form, h('p', { class: 'range' }, t('insights_range', { from: day(from + 'T00:00:00Z'), to: day(to + 'T00:00:00Z') })), out);
    loading(out);
    const links = [];
    let cursor = '';
    let truncated = false;
    try {
      for (let i = 0; ; i++) {
        if (i === MAX_INSIGHT_PAGES) { truncated = true; break; }
        const r = await api('GET', '/v1/payment-links?' + qs({ created_from: from + 'T00:00:00Z', created_to: to + 'T23:59:59Z', limit: 500, cursor }));
        links.push(...r.data);
        if (!r.next_cursor) break;
        cursor = r.next_cursor;
      }
    } catch (e) {
      put(out, alertBox(e));
      return;
    }
    const sent = links.filter((l) => (l.sent_channels || []).length);
    const opened = sent.filter((l) => l.clicked_at);
    const paid = sent.filter((l) => l.status === 'paid' || l.paid_at);
    const funnel = barChart(t('funnel'), [[t('funnel_sent'), sent.length], [t('funnel_opened'), opened.length], [t('funnel_paid'), paid.length]], (v) => String(v));
    const currency = mostCommonCurrency(links);
    const group = (keyOf, keys) => keys.map((k) => {
      const ls = links.filter((l) => keyOf(l).includes(k));
      const s = ls.filter((l) => (l.sent_channels || []).length || keyOf === langOf);
      const pd = ls.filter((l) => l.paid_at && l.amount.currency === currency);
      const hours = pd.map((l) => (Date.parse(l.paid_at) - Date.parse(l.last_sent_at && l.last_sent_at < l.paid_at ? l.last_sent_at : l.created_at)) / 3600000).sort((a, b) => a - b);
      return { key: k, links: s.length, opened: s.filter((l) => l.clicked_at).length, paid: ls.filter((l) => l.paid_at).length,
        volume: pd.reduce((a, l) => a + Number(l.amount.value), 0), median: hours.length ? hours[Math.floor(hours.length / 2)] : null };
    });
    const chOf = (l) => l.sent_channels || [];
    const langOf = (l) => [l.language];
    const byChannel = group(chOf, ['email', 'sms', 'whatsapp']);
    const byLang = group(langOf, ['en', 'nl', 'fr', 'de']);
    const fmtMoney = (v) => money({ currency, value: v.toFixed(2) });
    const perDay = {};
    for (const l of links) {
      if (!l.paid_at || l.amount.currency !== currency) continue;
      const d = l.paid_at.slice(0, 10);
      perDay[d] = (perDay[d] || 0) + Number(l.amount.value);
    }
    const days = [];
    const nDays = Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
    for (let i = 0; i <= nDays; i++) days.push(isoDay(i, from + 'T00:00:00Z'));
    const groupTable = (caption, rows, label) => table(caption, [
      { label: t(label), rowHeader: true, cell: (r) => t((label === 'channel' ? 'channel_' : 'lang_') + r.key) },
      { label: label === 'channel' ? t('funnel_sent') : t('links'), class: 'num', cell: (r) => String(r.links) },
      { label: t('funnel_opened'), class: 'num', cell: (r) => String(r.opened) }, { label: t('funnel_paid'), class: 'num', cell: (r) => String(r.paid) },
      { label: t('conversion_rate'), class: 'num', cell: (r) => (r.links ? Math.round((100 * r.paid) / r.links) + '%' : '—') },
      { label: t('paid_volume'), class: 'num', cell: (r) => fmtMoney(r.volume) },
      { label: t('time_to_pay'), class: 'num', cell: (r) => (r.median === null ? '—' : t('hours', { n: r.median.toFixed(1) })) },
    ], rows);
    put(out,
      clamped ? h('p', { class: 'warning' }, t('insights_clamped', { n: MAX_INSIGHT_DAYS })) : null,
      truncated ? h('p', { class: 'warning' }, t('insights_truncated', { n: links.length })) : null,
      h('section', { 'aria-labelledby': 'i-funnel' }, h('h2', { id: 'i-funnel' }, t('funnel')), h('p', { class: 'muted' }, t('funnel_hint')), funnel),
      h('section', { 'aria-labelledby': 'i-channel' }, h('h2', { id: 'i-channel' }, t('per_channel')),
        barChart(t('paid_volume_per', { what: t('channel').toLowerCase() }), byChannel.map((r) => [t('channel_' + r.key), r.volume]), fmtMoney),
        groupTable(t('per_channel_table'), byChannel, 'channel')),
      h('section', { 'aria-labelledby': 'i-lang' }, h('h2', { id: 'i-lang' }, t('per_language')),
        barChart(t('paid_volume_per', { what: t('language').toLowerCase() }), byLang.map((r) => [t('lang_' + r.key), r.volume]), fmtMoney),
        groupTable(t('per_language_table'), byLang, 'language')),
      h('section', { 'aria-labelledby': 'i-day' }, h('h2', { id: 'i-day' }, t('per_day', { currency })),
        columnChart(t('per_day', { currency }), days.map((d) => [d, perDay[d] || 0]), fmtMoney)));
  }

  function mostCommonCurrency(links) {
    const n = {};
    for (const l of links) n[l.amount.currency] = (n[l.amount.currency] || 0) + 1;
    return Object.entries(n).sort((a, b) => b[1] - a[1]).map(([c]) => c)[0] || 'EUR';
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of kids) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  // barChart draws horizontal bars; its text alternative names each value.
  function barChart(title, rows, fmt) {
    const max = Math.max(1, ...rows.map((r) => r[1]));
    const rowH = 34;
    const svg = s('svg', { viewBox: '0 0 600 ' + (rows.length * rowH + 8), role: 'img', 'aria-label': title + ': ' + rows.map(([k, v]) => k + ' ' + fmt(v)).join(', '), class: 'chart' });
    rows.forEach(([k, v], i) => {
      const y = i * rowH + 4;
      const w = Math.round((v / max) * 360);
      svg.append(s('text', { x: 0, y: y + 20, class: 'label' }, k), s('rect', { x: 130, y, width: Math.max(w, 1), height: 24, rx: 3, class: 'bar' }),
        s('text', { x: 140 + w, y: y + 18, class: 'value' }, fmt(v)));
    });
    return h('figure', { class: 'chart-wrap' }, svg);
  }

  // columnChart draws a column per day.
  function columnChart(title, rows, fmt) {
    const max = Math.max(1, ...rows.map((r) => r[1]));
    const w = Math.max(4, Math.floor(560 / Math.max(rows.length, 1)));
    const svg = s('svg', { viewBox: '0 0 ' + (rows.length * w + 40) + ' 220', role: 'img', class: 'chart',
      'aria-label': title + ': ' + (rows.filter((r) => r[1] > 0).map(([d, v]) => d + ' ' + fmt(v)).join(', ') || t('nothing_paid')) });
    rows.forEach(([d, v], i) => {
      const hgt = Math.round((v / max) * 180);
      svg.append(s('rect', { x: 20 + i * w, y: 190 - hgt, width: Math.max(w - 2, 1), height: Math.max(hgt, v > 0 ? 1 : 0), class: 'bar' }, s('title', {}, d + ': ' + fmt(v))));
    });
    svg.append(s('text', { x: 20, y: 212, class: 'label' }, rows.length ? rows[0][0] : ''), s('text', { x: rows.length * w - 60, y: 212, class: 'label' }, rows.length ? rows[rows.length - 1][0] : ''));
    return h('figure', { class: 'chart-wrap' }, svg);
  }

  const pages = {
    links: pageLinks, 'link-new': pageLinkNew, link: pageLink, preview: pagePreview, customers: pageCustomers, customer: pageCustomer,
    'customer-new': pageCustomerNew, import: pageImport, review: pageReview, settings: pageSettings, insights: pageInsights,
    statements: pageStatements, statement: pageStatement, 'refund-files': pageRefundFiles,
  };
  const run = pages[D.page];
  if (run) {
    Promise.resolve(run()).catch((e) => { put(app, alertBox(e)); });
  }
})();
