// @ts-check
// Page furniture: the status line, errors on forms, labelled fields,
// tables, dialogs, Show more.
import { $, $$, h, nextId, put } from './dom.js';
import { S, t } from './i18n.js';

/**
 * @typedef {import('./dom').Kid} Kid
 * @typedef {import('./dom').Attrs} Attrs
 * @typedef {{ message: string, status?: number, body?: import('./api').ProblemBody }} Failure
 */

/**
 * say puts msg on the page's status line (read out by screen readers).
 * @param {string} msg
 */
export function say(msg) {
  const s = $('#status');
  s.textContent = '';
  setTimeout(() => { s.textContent = msg; }, 50);
}

/**
 * alertBox says what went wrong; a field's error is named by the label
 * of its control in container when there is one.
 * @param {Failure} err
 * @param {ParentNode} [container]
 * @returns {HTMLDivElement}
 */
export function alertBox(err, container) {
  const missing = err.body && err.body.missing_permission;
  // A server's failure is said plainly (its detail is for the logs).
  const errs = (err.body && err.body.errors) || [];
  const own = /^[A-Z]/.test(err.message) || Object.values(S).includes(err.message);
  const msg = missing ? t('missing_permission', { perm: missing }) : err.status >= 500 ? t('server_error') : errs.length && !own ? t('fe_invalid_fields') : err.message;
  const box = h('div', { class: 'error', role: 'alert' }, h('p', {}, msg));
  /** @param {string} f @returns {string} */
  const name = (f) => {
    const c = container && $('[data-field="' + CSS.escape(f) + '"]', container);
    const l = c && c.id && $('label[for="' + CSS.escape(c.id) + '"]', container);
    return l ? l.textContent : f;
  };
  if (errs.length) box.append(h('ul', {}, errs.map((e) => h('li', {}, name(e.field) + ': ' + words(e)))));
  return box;
}

// words is what a person reads for a field error of the API: the
// catalog's string for the field and rule (fe_<field>_required, then
// fe_<field>, indices left out: redirect_domains[2] is fe_redirect_domains),
// the API's own text only when the catalog has none; a message already
// from the catalog (the page's own check) is kept.
/**
 * @param {{ field: string, message: string }} fe
 * @returns {string}
 */
export function words(fe) {
  // The API's messages are lower-case phrases; a sentence is the page's.
  if (/^[A-Z]/.test(fe.message) || Object.values(S).includes(fe.message)) return fe.message;
  const key = 'fe_' + fe.field.replace(/\[\d+\]/g, '').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
  const required = /^is required\b/.test(fe.message);
  for (const k of [required ? key + '_required' : '', key, required ? 'fe_required' : '']) if (k && S[k]) return S[k];
  return fe.message;
}

// showError puts err above the form (or container) and marks the fields
// it names, each with its message.
// clearErrors takes back what showError put: the alert, the fields'
// marks and messages (a field's hint describes it again).
/** @param {ParentNode} container */
export function clearErrors(container) {
  $$('.error', container).forEach((el) => el.remove());
  $$('[aria-invalid]', container).forEach((el) => {
    el.removeAttribute('aria-invalid');
    if (document.getElementById(el.id + '-hint')) el.setAttribute('aria-describedby', el.id + '-hint');
    else el.removeAttribute('aria-describedby');
  });
  $$('.field-error', container).forEach((el) => el.remove());
}

/**
 * @param {Element} container
 * @param {Failure} err
 */
export function showError(container, err) {
  clearErrors(container);
  const box = alertBox(err, container);
  container.prepend(box);
  /** @type {HTMLElement[]} */
  const marked = [];
  for (const fe of (err.body && err.body.errors) || []) {
    const input = $('[data-field="' + CSS.escape(fe.field) + '"]', container);
    if (!input || marked.includes(input)) continue;
    marked.push(input);
    const id = input.id + '-error';
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [id, document.getElementById(input.id + '-hint') ? input.id + '-hint' : ''].join(' ').trim());
    input.closest('.field').append(h('p', { class: 'field-error', id }, words(fe)));
  }
  box.setAttribute('tabindex', '-1');
  // The focus goes to the first field in error (in the page's order),
  // else to the alert.
  const firstField = marked.filter((el) => !el.closest('[hidden]'))
    .sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
  (firstField || box).focus();
}

/**
 * field is a labelled control; apiField names it in the API's errors.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [apiField]
 * @param {string} [hint]
 * @returns {HTMLDivElement}
 */
export function field(label, control, apiField, hint) {
  control.id = control.id || nextId('f');
  if (apiField) control.dataset.field = apiField;
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  if (hint) {
    const hid = control.id + '-hint';
    control.setAttribute('aria-describedby', hid);
    wrap.append(h('p', { class: 'hint', id: hid }, hint));
  }
  return wrap;
}
/**
 * input is a text input (or another type named in attrs).
 * @param {string} name
 * @param {Attrs} [attrs]
 * @returns {HTMLInputElement}
 */
export const input = (name, attrs) => h('input', Object.assign({ name, type: 'text' }, attrs || {}));
/**
 * select offers options, pairs of value and label; value is chosen.
 * @param {string} name
 * @param {string[][]} options
 * @param {string} [value]
 * @param {Attrs} [attrs]
 * @returns {HTMLSelectElement}
 */
export const select = (name, options, value, attrs) =>
  h('select', Object.assign({ name }, attrs || {}), options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
/**
 * button is a button (not a form's submit) that calls onclick.
 * @param {Kid} label
 * @param {(ev: any) => unknown} onclick
 * @param {Attrs} [attrs]
 * @returns {HTMLButtonElement}
 */
export const button = (label, onclick, attrs) => h('button', Object.assign({ type: 'button', onclick }, attrs || {}), label);
/** @returns {Array<[string, string]>} */
export const languages = () => [['en', t('lang_en')], ['nl', t('lang_nl')], ['fr', t('lang_fr')], ['de', t('lang_de')]];
/** @returns {Array<[string, string]>} */
export const channels = () => [['email', t('channel_email')], ['sms', t('channel_sms')], ['whatsapp', t('channel_whatsapp')]];

// table is a captioned table in a region that scrolls sideways on a
// narrow screen (the page itself never does); rowAttrs gives a row its
// attributes (an id to point at).
/**
 * A column: its header, class, whether its cells head their rows, and a
 * row's cell.
 * @template T
 * @typedef {{ label: Kid, class?: string, rowHeader?: boolean, cell: (row: T) => Kid }} Column
 */
/**
 * @template T
 * @param {string} caption
 * @param {Array<Column<T>>} cols
 * @param {T[]} rows
 * @param {string} [empty]
 * @param {(row: T) => Attrs} [rowAttrs]
 * @returns {HTMLElement}
 */
export function table(caption, cols, rows, empty, rowAttrs) {
  if (!rows.length) return h('p', { class: 'empty' }, empty || t('nothing_here'));
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {}, cols.map((c, i) => (i === 0 && c.rowHeader ? h('th', { scope: 'row', class: c.class }, c.cell(r)) : h('td', { class: c.class }, c.cell(r)))))))));
}

// dialog shows a modal dialog; it resolves with the value of the button
// used ('' when closed with Escape). A gate holds the button of its value
// off until its input's text passes ok (a deliberate confirmation: the
// input has the focus, Enter there confirms once it passes).
/**
 * @typedef {{ value: string, input: HTMLInputElement, ok: (text: string) => boolean }} Gate
 */
/**
 * @param {string} title
 * @param {Kid} body
 * @param {Array<[string, string, string?]>} actions label, value, class
 * @param {Gate} [gate]
 * @returns {Promise<string>}
 */
export function dialog(title, body, actions, gate) {
  return new Promise((resolve) => {
    const id = nextId('d');
    /** @type {HTMLDialogElement} */
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
    if (!gate) return;
    const held = /** @type {HTMLButtonElement} */ ($$('.actions button', d)[actions.findIndex(([, value]) => value === gate.value)]);
    const check = () => { held.disabled = !gate.ok(gate.input.value); };
    check();
    gate.input.addEventListener('input', check);
    gate.input.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Enter') return;
      ev.preventDefault();
      if (!held.disabled) d.close(gate.value);
    });
    gate.input.focus();
  });
}

/**
 * loading says el's content is on its way.
 * @param {Element} el
 */
export function loading(el) {
  put(el, h('p', { class: 'muted', role: 'status' }, t('loading')));
}

/**
 * more is a listing's "Show more" (none at the end).
 * @param {string | null | undefined} next
 * @param {(cursor: string) => unknown} load
 * @returns {HTMLButtonElement | null}
 */
export const more = (next, load) => (next ? button(t('show_more'), () => load(next), { class: 'secondary' }) : null);
