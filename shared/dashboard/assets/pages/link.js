// @ts-check
// A payment link: details, events, refunds, share; duplicate, archive.
import { $, h, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { actorName, badge, customerName, deletedOnArchive, eventLabel, lastActivity, methodName, money, when } from '../format.js';
import { alertBox, button, dialog, field, input, languages, loading, say, select, showError, table } from '../ui.js';
import { Problem, api, attempt, newKey } from '../api.js';
import { shareBlock } from '../share.js';
import { t } from '../i18n.js';

export default async function pageLink() {
  loading(app);
  /** @type {import('../openapi').PaymentLink} */
  let link;
  try {
    link = await api('GET', '/v1/payment-links/' + encodeURIComponent(D.id));
  } catch (e) {
    put(app, alertBox(e));
    return;
  }
  $('h1').textContent = link.description;
  const head = h('div', { class: 'link-head' });
  drawHead(Number((link.amount_refunded || {}).value || 0));
  // A link never opened is deleted, not archived (the server decides;
  // the button says which).
  const deletes = deletedOnArchive(link);
  const actions = h('div', { class: 'actions' },
    h('a', { href: '/dashboard/links/' + link.id + '/preview', class: 'button secondary' }, t('preview')),
    can('links:write') ? button(t('duplicate'), duplicate, { class: 'secondary' }) : null,
    can('links:write') && !link.archived ? button(deletes ? t('delete') : t('archive'), archive, { class: 'danger' }) : null);
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

  // drawHead shows the status, the amount and what was refunded (the
  // refunds asked for, pending or done).
  /** @param {number} refunded */
  function drawHead(refunded) {
    put(head, badge(link.status), h('strong', { class: 'amount' }, money(link.amount)),
      refunded > 0 ? h('span', { class: 'muted' }, t('refunded_amount', { amount: money({ currency: link.amount.currency, value: String(refunded) }) })) : null);
  }

  /** @param {string} k */
  function choose(k) {
    current = k;
    shown++;
    tabButtons.forEach((b, i) => { b.setAttribute('aria-selected', tabs[i] === k ? 'true' : 'false'); b.tabIndex = tabs[i] === k ? 0 : -1; });
    panel.setAttribute('aria-labelledby', 'tab-' + k);
    history.replaceState(null, '', '#' + k);
    /** @type {Record<string, () => unknown>} */ ({ details, events, refunds, share })[k]();
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
      /** @type {import('../openapi').Operations['listPaymentLinkEvents']['response']} */
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
    /** @type {import('../openapi').Refund[]} */
    let list;
    try {
      // The link and its refunds are read again each time: what is left
      // follows every refund without a reload.
      const [l, r] = await Promise.all([api('GET', '/v1/payment-links/' + link.id), api('GET', '/v1/payment-links/' + link.id + '/refunds')]);
      if (mine !== shown) return;
      link = l;
      list = r.data;
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
    // What is left: the link's amount less every refund not failed (a
    // pending one holds its amount), in ten-thousandths (exact).
    const units = (/** @type {string | number} */ v) => Math.round(Number(v) * 10000);
    const asked = list.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + units(r.amount.value), 0);
    const left = Math.max(0, units(link.amount.value) - asked);
    const leftMoney = { currency: link.amount.currency, value: String(left / 10000) };
    drawHead(asked / 10000);
    if (left === 0) {
      put(panel, h('p', {}, t('refund_nothing_left')), h('h2', {}, t('refunds')), rows);
      return;
    }
    const form = h('form', { class: 'card', novalidate: true }, h('h2', {}, t('refund_title')),
      field(t('amount'), input('amount', { inputmode: 'decimal', placeholder: t('refund_rest'), 'data-max': leftMoney.value }), 'amount.value', t('refund_left', { amount: money(leftMoney) })),
      field(t('reason'), input('reason', { maxlength: 200, required: true }), 'reason'),
      h('button', { type: 'submit', class: 'danger' }, t('refund')));
    const idem = attempt();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      /** @type {import('../openapi').Operations['createRefund']['request']} */
      const body = { reason: form.reason.value.trim() };
      if (form.amount.value.trim()) body.amount = { currency: link.amount.currency, value: form.amount.value.trim().replace(',', '.') };
      // Never more than what is left: said at the field, nothing asked.
      if (body.amount && units(body.amount.value) > left) {
        const msg = t('refund_too_much', { amount: money(leftMoney) });
        showError(form, new Problem(422, { detail: msg, errors: [{ field: 'amount.value', message: msg }] }));
        return;
      }
      const what = body.amount ? money(body.amount) : t('refund_rest');
      // A link paid by bank transfer is refunded by a refund file.
      const confirmText = link.psp === 'bank' ? t('refund_link_bank_confirm', { amount: what }) : t('refund_confirm', { amount: what });
      if (await dialog(t('refund_confirm_title'), h('p', {}, confirmText), [[t('refund'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
      try {
        await api('POST', '/v1/payment-links/' + link.id + '/refunds', body, { idem: idem.key });
        idem.answered();
        say(t('refund_requested'));
        await refunds();
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

  // Duplicate opens the new-link form filled from this link: nothing is
  // made until the person sends it.
  function duplicate() {
    location.assign('/dashboard/links/new?from=' + encodeURIComponent(link.id));
  }

  async function archive() {
    const body = h('p', {}, deletes ? t('archive_one_deletes') : t('archive_one'));
    const verb = deletes ? t('delete') : t('archive');
    if (await dialog(deletes ? t('delete_title') : t('archive_title'), body, [[verb, 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
    try {
      await api('POST', '/v1/payment-links/' + link.id + '/archive', undefined, { idem: newKey() });
      location.assign(deletes ? '/dashboard' : '/dashboard/links/' + link.id);
    } catch (e) {
      showError(app, e);
    }
  }
}
