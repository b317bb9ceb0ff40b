// @ts-check
// Import: CSV files of links or customers, bank statements.
import { $, h, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { MAX_STATEMENT, followStatement, statementType } from '../bank.js';
import { Problem, api, newKey, sleep } from '../api.js';
import { alertBox, clearErrors, field, say, select, showError, table } from '../ui.js';
import { t } from '../i18n.js';

// The import page shows each member the parts their permissions allow:
// CSV files of links or customers (links:write), bank statements
// (payments:review).
export default function pageImport() {
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
  /** @param {string | null | undefined} f @returns {string} */
  const column = (f) => (f ? f.replace(/^customer\./, '').replace(/^amount\.value$/, 'amount').replace(/^amount\.currency$/, 'currency') : '—');
  /** @param {string} id */
  async function follow(id) {
    for (let polls = 0; polls < 3000; polls++) {
      /** @type {import('../openapi').Import} */
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
      // An import is processing until completed (its failed rows are
      // counted and listed: the import itself does not fail).
      if (im.status === 'completed') {
        say(t('import_finished', { ok: im.rows_done || 0, failed: im.rows_failed || 0 }));
        return;
      }
      await sleep(700);
    }
  }
  return h('section', { 'aria-labelledby': 'csv-import' }, h('h2', { id: 'csv-import' }, t('import_csv')), form, progress);
}

function statementImport() {
  const file = h('input', { type: 'file', name: 'statement', accept: '.xml,.cod,.coda,.txt,application/xml,text/xml,text/plain' });
  const form = h('form', { class: 'card wide' }, h('p', {}, t('statement_import_intro')),
    field(t('statement_file'), file, 'statement', t('statement_hint')), h('button', { type: 'submit' }, t('upload_statement')));
  const out = h('div', { id: 'statement-progress' });
  /** @param {string} msg */
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
