// @ts-check
// Insights: the figures of GET /v1/insights (computed by the API): the
// headline, the funnel, per channel, per language, per day.
import { alertBox, field, input, loading, table } from '../ui.js';
import { api, qs } from '../api.js';
import { app } from '../context.js';
import { barRows, dayChart } from '../charts.js';
import { day, dayName, isoDay, money, number } from '../format.js';
import { h, put } from '../dom.js';
import { t } from '../i18n.js';

const MAX_INSIGHT_DAYS = 366;
const dayRe = /^\d{4}-\d{2}-\d{2}$/;

/**
 * period is the address's period (from, to), each '' when not given (the
 * API's default: the overview's 90 days ending today), cut to a year.
 * @returns {{ from: string, to: string, clamped: boolean }}
 */
function period() {
  const p = new URLSearchParams(location.search);
  /** @param {string} k */
  const valid = (k) => (dayRe.test(p.get(k) || '') && !isNaN(Date.parse(p.get(k) || '')) ? p.get(k) || '' : '');
  let from = valid('from');
  let to = valid('to');
  let clamped = false;
  if (from && to && from > to) [from, to] = [to, from];
  if (to && to > isoDay(0)) to = isoDay(0); // no link is made in the future
  if (from && to && from > to) from = to;
  if (from && Date.parse(to || isoDay(0)) - Date.parse(from) > (MAX_INSIGHT_DAYS - 1) * 86400000) {
    from = isoDay(-(MAX_INSIGHT_DAYS - 1), (to || isoDay(0)) + 'T00:00:00Z');
    clamped = true;
  }
  return { from, to, clamped };
}

/**
 * @param {import('../openapi').Money[]} ms
 * @returns {string}
 */
const monies = (ms) => (ms && ms.length ? ms.map(money).join(', ') : '—');

/**
 * @param {import('../openapi').Money[]} ms
 * @param {string} currency
 * @returns {number}
 */
const amountIn = (ms, currency) => Number((ms || []).find((m) => m.currency === currency)?.value || 0);

/**
 * duration is a time to pay: minutes under an hour, else hours.
 * @param {number | null} secs
 */
const duration = (secs) => (secs === null || secs === undefined ? '—'
  : secs < 60 ? t('under_a_minute') : secs < 3600 ? t('minutes', { n: Math.round(secs / 60) }) : t('hours', { n: number(secs / 3600, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) }));

/** @param {number} c */
const percent = (c) => number(c, { style: 'percent', maximumFractionDigits: 0 });

export default async function pageInsights() {
  const { from, to, clamped } = period();
  const fromIn = input('from', { type: 'date', value: from });
  const toIn = input('to', { type: 'date', value: to });
  const form = h('form', { method: 'get', class: 'filters', 'aria-label': t('period') },
    h('div', { class: 'row' }, field(t('from'), fromIn, 'from'), field(t('to'), toIn, 'to')),
    h('button', { type: 'submit' }, t('apply')));
  const range = h('p', { class: 'range' });
  const out = h('div', {});
  put(app, form, range, out);
  loading(out);
  /** @type {import('../openapi').Insights} */
  let r;
  try {
    r = await api('GET', '/v1/insights?' + qs({ from, to }));
  } catch (e) {
    put(out, alertBox(e));
    return;
  }
  for (const [el, v] of /** @type {Array<[HTMLInputElement, string]>} */ ([[fromIn, r.from], [toIn, r.to]])) {
    el.value = v;
    el.setAttribute('value', v);
  }
  put(range, t('insights_range', { from: dayName(r.from), to: dayName(r.to) }));
  const hd = r.headline;
  // The charts' currency: the one most paid in, else the most open.
  const currency = (hd.paid_volume[0] || r.open_amount[0] || { currency: 'EUR' }).currency;
  /** @param {number} v */
  const fmtMoney = (v) => money({ currency, value: v.toFixed(2) });
  /** @param {string} caption @param {import('../openapi').InsightsGroup[]} rows @param {'channel' | 'language'} label */
  const groupTable = (caption, rows, label) => table(caption, [
    { label: t(label), rowHeader: true, cell: (g) => t((label === 'channel' ? 'channel_' : 'lang_') + g.key) },
    { label: t('links'), class: 'num', cell: (g) => String(g.links) },
    { label: t('funnel_opened'), class: 'num', cell: (g) => String(g.opened) }, { label: t('funnel_paid'), class: 'num', cell: (g) => String(g.paid) },
    { label: t('conversion_rate'), class: 'num', cell: (g) => (g.links ? percent(g.conversion) : '—') },
    { label: t('paid_volume'), class: 'num', cell: (g) => (g.paid_volume.length ? monies(g.paid_volume) : fmtMoney(0)) },
    { label: t('time_to_pay'), class: 'num', cell: (g) => duration(g.median_time_to_pay_seconds) },
  ], rows);
  /** @param {string} dt @param {string | Node} dd @param {string} [note] */
  const figure = (dt, dd, note) => h('div', {}, h('dt', {}, dt), h('dd', {}, dd, note ? h('small', {}, note) : null));
  put(out,
    clamped ? h('p', { class: 'warning' }, t('insights_clamped', { n: MAX_INSIGHT_DAYS })) : null,
    r.partial ? h('p', { class: 'warning' }, t('insights_partial', { n: r.links_read, from: day(r.complete_from) })) : null,
    h('section', { 'aria-labelledby': 'i-head' }, h('h2', { id: 'i-head', class: 'visually-hidden' }, t('insights_headline')),
      h('dl', { class: 'headline', id: 'i-headline' },
        figure(t('paid_volume'), monies(hd.paid_volume)),
        figure(t('open_amount'), monies(r.open_amount)),
        figure(t('conversion_rate'), percent(hd.conversion), t('insights_paid_of', { paid: hd.paid, links: hd.links })),
        figure(t('time_to_pay'), duration(hd.median_time_to_pay_seconds)))),
    h('section', { 'aria-labelledby': 'i-funnel' }, h('h2', { id: 'i-funnel' }, t('funnel')), h('p', { class: 'muted' }, t('funnel_hint')),
      barRows(t('funnel'), [[t('links'), hd.links], [t('funnel_sent'), hd.sent], [t('funnel_opened'), hd.opened], [t('funnel_paid'), hd.paid]], (v) => String(v))),
    h('section', { 'aria-labelledby': 'i-channel' }, h('h2', { id: 'i-channel' }, t('per_channel')),
      barRows(t('paid_volume_per_channel'), r.channels.map((g) => [t('channel_' + g.key), amountIn(g.paid_volume, currency)]), fmtMoney),
      groupTable(t('per_channel_table'), r.channels, 'channel')),
    h('section', { 'aria-labelledby': 'i-lang' }, h('h2', { id: 'i-lang' }, t('per_language')),
      barRows(t('paid_volume_per_language'), r.languages.map((g) => [t('lang_' + g.key), amountIn(g.paid_volume, currency)]), fmtMoney),
      groupTable(t('per_language_table'), r.languages, 'language')),
    h('section', { 'aria-labelledby': 'i-day' }, h('h2', { id: 'i-day' }, t('per_day', { currency })),
      dayChart(t('per_day', { currency }), r.days.map((d) => [d.day || '', amountIn(d.paid_volume, currency)]), fmtMoney, dayName)));
}
