// @ts-check
// The bank statements.
import { alertBox, loading, more, table } from '../ui.js';
import { api, qs } from '../api.js';
import { app } from '../context.js';
import { bankNav, statementBadge } from '../bank.js';
import { formatName, iban, when } from '../format.js';
import { h, put } from '../dom.js';
import { t } from '../i18n.js';

export default async function pageStatements() {
  const out = h('div', {});
  put(app, bankNav('statements'), h('p', {}, t('statements_intro')),
    h('p', { class: 'top-action' }, h('a', { href: '/dashboard/import#bank-statement', class: 'button' }, t('import_statement_link'))), out);
  loading(out);
  /** @type {import('../openapi').BankStatement[]} */
  const all = [];
  /** @param {string} cursor */
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
