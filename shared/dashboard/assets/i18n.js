// @ts-check
// The catalog: the page's strings (the server puts them in #strings), t,
// which fills a string's {name} placeholders, and the page's language and
// its Intl locale.
import { $ } from './dom.js';

/** @type {Record<string, string>} */
export const S = JSON.parse($('#strings').textContent);

export const lang = document.documentElement.lang || 'en';

// LOCALES are the Intl locales the dashboard's languages format money,
// numbers and dates in: Belgian Dutch and French (the merchants'),
// Germany's German; English as Intl's default English.
/** @type {Record<string, string>} */
const LOCALES = { en: 'en', nl: 'nl-BE', fr: 'fr-BE', de: 'de-DE' };
/** locale is the page's Intl locale. */
export const locale = LOCALES[lang] || lang;

/**
 * t is the catalog's string of key, with {name} placeholders filled.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  let s = S[key];
  if (s === undefined) {
    console.error('dashboard: no string ' + key);
    s = key;
  }
  for (const [k, v] of Object.entries(vars || {})) s = s.split('{' + k + '}').join(String(v));
  return s;
}
