// @ts-check
// The refund files: the next one previewed, created, downloaded.
import { S, t } from '../i18n.js';
import { alertBox, button, clearErrors, dialog, loading, more, say, showError, table } from '../ui.js';
import { api, download, newKey, qs } from '../api.js';
import { app, can } from '../context.js';
import { bankNav } from '../bank.js';
import { h, put } from '../dom.js';
import { money, when } from '../format.js';

// refundsWaiting is the preview of the next refund file in words: its
// count and total.
/**
 * @param {number} n
 * @param {string} total
 * @returns {string}
 */
const refundsWaiting = (n, total) => (n === 1 ? t('refund_next_one', { total }) : t('refund_next_many', { n, total }));

// pageRefundFiles shows what the next refund file would hold before it is
// made (GET /v1/bank-refund-files/next), offers Create only when a refund
// waits, and lists the files made.
export default async function pageRefundFiles() {
  const out = h('div', {});
  const result = h('div', {});
  const next = h('div', { id: 'refund-next', class: 'card wide' });
  const reviewer = can('payments:review');
  put(app, bankNav('refund_files'), h('p', {}, t('refund_files_intro')), reviewer ? next : null, result, out);
  loading(out);
  /** @type {import('../openapi').BankRefundFile[]} */
  const all = [];
  /** @param {string} cursor */
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
    /** @type {import('../openapi').BankRefundFilePreview} */
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
  /** @param {import('../openapi').BankRefundFile} f */
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
