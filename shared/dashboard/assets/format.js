// @ts-check
// Formatting for people: money, dates, names, statuses, an IBAN by its
// last four; in the page's language (its Intl locale) and, for dates, in
// the merchant's time zone (the server puts it in #app's data-zone).
import { S, locale, t } from './i18n.js';
import { D } from './context.js';
import { h } from './dom.js';

/**
 * knownZone is z when the browser's Intl knows that zone (undefined
 * otherwise: the browser's own zone rather than a page that throws).
 * @param {string | undefined} z
 * @returns {string | undefined}
 */
const knownZone = (z) => {
  if (!z) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return z;
  } catch {
    return undefined;
  }
};
/** zone is the merchant's time zone (the server's data-zone). */
export const zone = knownZone(D.zone);

/**
 * money is an amount in its currency.
 * @param {{ currency: string, value: string | number } | null | undefined} m
 * @returns {string}
 */
export const money = (m) => {
  if (!m) return '';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency }).format(Number(m.value));
  } catch {
    return m.currency + ' ' + m.value;
  }
};
/**
 * number is a count or figure in the page's locale.
 * @param {number} n
 * @param {Intl.NumberFormatOptions} [opts]
 * @returns {string}
 */
export const number = (n, opts) => new Intl.NumberFormat(locale, opts).format(n);
/**
 * when is a moment, date and time in the merchant's zone ('—' for none).
 * @param {string | null | undefined} s
 * @returns {string}
 */
export const when = (s) => (s ? new Date(s).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }) : '—');
/**
 * day is a moment's date in the merchant's zone ('—' for none).
 * @param {string | null | undefined} s
 * @returns {string}
 */
export const day = (s) => (s ? new Date(s).toLocaleDateString(locale, { dateStyle: 'medium', timeZone: zone }) : '—');
/**
 * dayName is a calendar day (YYYY-MM-DD: a booking date, a day of the
 * merchant's) for people, that day whatever the zone.
 * @param {string | null | undefined} d
 * @returns {string}
 */
export const dayName = (d) => (d ? new Date(d + 'T12:00:00Z').toLocaleDateString(locale, { dateStyle: 'medium', timeZone: 'UTC' }) : '—');
/**
 * zoneDay is the day (YYYY-MM-DD) of an instant in the merchant's zone.
 * @param {string} instant
 * @returns {string}
 */
export const zoneDay = (instant) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
/**
 * isoDay is the day (YYYY-MM-DD) offsetDays after from's UTC day, or
 * after today in the merchant's zone.
 * @param {number} offsetDays
 * @param {string} [from]
 * @returns {string}
 */
export const isoDay = (offsetDays, from) => {
  const d = new Date(from || zoneDay(new Date().toISOString()) + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
};
/** @param {string} m a payment method @returns {string} */
export const methodName = (m) => (S['method_' + m] ? t('method_' + m) : m);
/**
 * customerName is how a customer is named: company, person, e-mail or id.
 * @param {{ company_name?: string | null, first_name?: string | null, last_name?: string | null, email?: string | null, id?: string } | null | undefined} c
 * @returns {string}
 */
export const customerName = (c) => (c ? c.company_name || [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || c.id || '' : '');
// deletedOnArchive foretells, for the confirmation's words, what the
// server decides (domain.CanDelete): a link never opened and not a
// dunning one is deleted rather than archived.
/** @param {import('./openapi').PaymentLink} l @returns {boolean} */
export const deletedOnArchive = (l) => l.status === 'created' && l.origin !== 'dunning';
/** @param {string} status @returns {HTMLSpanElement} */
export const badge = (status) => h('span', { class: 'badge s-' + status }, t('status_' + status));
/** @param {import('./openapi').PaymentLink} l @returns {string | undefined} */
export const lastActivity = (l) => [l.updated_at, l.clicked_at, l.paid_at, l.last_sent_at].filter(Boolean).sort().pop();

/** @param {import('./openapi').Event} e @returns {string} */
export function eventLabel(e) {
  const k = 'event_' + e.type.replace(/[.]/g, '_');
  return S[k] ? t(k) : e.type;
}
/** @param {import('./openapi').Actor | null | undefined} a @returns {string} */
export const actorName = (a) => (a ? (a.type === 'system' ? t('actor_system') : a.name || a.id || a.type) : '');

// iban shows an account by its last four characters only.
/**
 * @param {string | null | undefined} s
 * @returns {HTMLSpanElement | string}
 */
export function iban(s) {
  if (!s) return '—';
  const clean = String(s).replace(/\s+/g, '');
  return h('span', { class: 'iban' }, h('span', { class: 'visually-hidden' }, t('iban_ending') + ' '),
    h('span', { 'aria-hidden': 'true' }, '•••• '), clean.slice(-4));
}
/** @param {string | null | undefined} f a statement's format @returns {string} */
export const formatName = (f) => (f === 'coda' ? 'CODA' : f || '—');
