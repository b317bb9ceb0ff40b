// @ts-check
// The catalog: the page's strings (the server puts them in #strings), t,
// which fills a string's {name} placeholders, and the page's language.
import { $ } from './dom.js';

/** @type {Record<string, string>} */
export const S = JSON.parse($('#strings').textContent);

export const lang = document.documentElement.lang || 'en';

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
