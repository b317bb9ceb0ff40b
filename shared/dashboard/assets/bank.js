// @ts-check
// Bank statements as the import, statements and statement pages show them.
import { S, t } from './i18n.js';
import { api, sleep } from './api.js';
import { formatName, iban, when } from './format.js';
import { h, put } from './dom.js';
import { say } from './ui.js';

export const MAX_STATEMENT = 10 << 20;

// statementType is the media type the API takes a statement file as:
// camt is XML, CODA is text (by its name, else by its first bytes); ''
// when it is neither.
/**
 * @param {File} f
 * @returns {Promise<string>}
 */
export async function statementType(f) {
  const name = f.name.toLowerCase();
  if (/\.xml$/.test(name)) return 'application/xml';
  if (/\.(cod|coda|txt)$/.test(name)) return 'text/plain';
  const head = (await f.slice(0, 64).text()).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'application/xml';
  if (head.startsWith('0000')) return 'text/plain'; // CODA's header record
  return '';
}

// followStatement shows the statement while it is read, until it is
// done or failed.
/**
 * @param {string} id
 * @param {Element} out
 * @returns {Promise<import('./openapi').BankStatement | null>}
 */
export async function followStatement(id, out) {
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
/**
 * @param {import('./openapi').BankStatement} st
 * @returns {HTMLElement}
 */
export function statementLine(st) {
  if (st.status === 'failed') {
    return h('div', { class: 'error' }, h('p', {}, t('statement_failed', { error: String(st.error || '—').replace(/\.$/, '') })));
  }
  return h('p', { class: 'range' }, t(st.status === 'done' ? 'statement_read' : 'statement_reading', { entries: st.entries }));
}

/** @param {import('./openapi').BankStatement} st @returns {HTMLSpanElement} */
export const statementBadge = (st) => h('span', { class: 'badge b-' + st.status }, t('statement_status_' + st.status));
/** @param {import('./openapi').BankStatement} st @returns {string} */
export const counts = (st) => t('statement_counts', { matched: st.matched, review: st.review, ignored: st.ignored, duplicates: st.duplicates });

/**
 * @param {import('./openapi').BankStatement} st
 * @returns {HTMLDListElement}
 */
export function statementFacts(st) {
  const rows = [
    [t('status'), statementBadge(st)], [t('format'), formatName(st.format)], [t('account'), iban(st.account_iban)],
    [t('received'), when(st.created_at)], [t('source'), S['source_' + st.source] ? t('source_' + st.source) : st.source || '—'],
    [t('entries'), String(st.entries) + ' · ' + counts(st)],
  ];
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// bankNav links the bank's pages.
/**
 * @param {'statements' | 'refund_files'} active
 * @returns {HTMLElement}
 */
export function bankNav(active) {
  const items = [['statements', '/dashboard/bank-statements'], ['refund_files', '/dashboard/refund-files']];
  return h('nav', { 'aria-label': t('bank_sections'), class: 'presets' }, h('ul', {}, items.map(([k, href]) =>
    h('li', {}, h('a', { href, 'aria-current': k === active ? 'page' : null }, t('bank_tab_' + k))))));
}
