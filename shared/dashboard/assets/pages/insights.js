// @ts-check
// Insights: the funnel, per channel, per language, per day.
import { alertBox, field, input, loading, table } from '../ui.js';
import { api, qs } from '../api.js';
import { app } from '../context.js';
import { barChart, columnChart } from '../charts.js';
import { day, isoDay, money } from '../format.js';
import { h, put } from '../dom.js';
import { t } from '../i18n.js';

const MAX_INSIGHT_PAGES = 20;
const MAX_INSIGHT_DAYS = 366;

export default async function pageInsights() {
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
  /** @type {import('../openapi').PaymentLink[]} */
  const links = [];
  let cursor = '';
  let truncated = false;
  try {
    for (let i = 0; ; i++) {
      if (i === MAX_INSIGHT_PAGES) { truncated = true; break; }
      /** @type {import('../openapi').Operations['listPaymentLinks']['response']} */
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
  /**
   * A group's figures: links (sent, for a channel), opened, paid, the paid
   * volume in the currency, the median hours to pay.
   * @typedef {{ key: string, links: number, opened: number, paid: number, volume: number, median: number | null }} Group
   */
  /**
   * @param {(l: import('../openapi').PaymentLink) => string[]} keyOf
   * @param {string[]} keys
   * @returns {Group[]}
   */
  const group = (keyOf, keys) => keys.map((k) => {
    const ls = links.filter((l) => keyOf(l).includes(k));
    const s = ls.filter((l) => (l.sent_channels || []).length || keyOf === langOf);
    const pd = ls.filter((l) => l.paid_at && l.amount.currency === currency);
    const hours = pd.map((l) => (Date.parse(l.paid_at) - Date.parse(l.last_sent_at && l.last_sent_at < l.paid_at ? l.last_sent_at : l.created_at)) / 3600000).sort((a, b) => a - b);
    return { key: k, links: s.length, opened: s.filter((l) => l.clicked_at).length, paid: ls.filter((l) => l.paid_at).length,
      volume: pd.reduce((a, l) => a + Number(l.amount.value), 0), median: hours.length ? hours[Math.floor(hours.length / 2)] : null };
  });
  /** @param {import('../openapi').PaymentLink} l @returns {string[]} */
  const chOf = (l) => l.sent_channels || [];
  /** @param {import('../openapi').PaymentLink} l @returns {string[]} */
  const langOf = (l) => [l.language];
  const byChannel = group(chOf, ['email', 'sms', 'whatsapp']);
  const byLang = group(langOf, ['en', 'nl', 'fr', 'de']);
  /** @param {number} v */
  const fmtMoney = (v) => money({ currency, value: v.toFixed(2) });
  /** @type {Record<string, number>} */
  const perDay = {};
  for (const l of links) {
    if (!l.paid_at || l.amount.currency !== currency) continue;
    const d = l.paid_at.slice(0, 10);
    perDay[d] = (perDay[d] || 0) + Number(l.amount.value);
  }
  const days = [];
  const nDays = Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
  for (let i = 0; i <= nDays; i++) days.push(isoDay(i, from + 'T00:00:00Z'));
  /**
   * @param {string} caption
   * @param {Group[]} rows
   * @param {'channel' | 'language'} label
   */
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

/**
 * @param {import('../openapi').PaymentLink[]} links
 * @returns {string}
 */
function mostCommonCurrency(links) {
  /** @type {Record<string, number>} */
  const n = {};
  for (const l of links) n[l.amount.currency] = (n[l.amount.currency] || 0) + 1;
  return Object.entries(n).sort((a, b) => b[1] - a[1]).map(([c]) => c)[0] || 'EUR';
}
