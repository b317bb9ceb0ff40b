// @ts-check
// The HTTP API (/v1) with the session cookie: api sends a request, Problem
// is its failure, attempt an Idempotency-Key kept while a try may be
// unanswered. The bodies' types are openapi.d.ts's, made from the OpenAPI
// document (go test ./shared/dashboard/apitypes -update-apitypes).
import { D } from './context.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * A Problem's body: the API's problem+json (its errors name fields).
 * @typedef {Partial<import('./openapi').Problem>} ProblemBody
 */

/** Problem is a request that failed: its HTTP status (0: no answer) and body. */
export class Problem extends Error {
  /**
   * @param {number} status
   * @param {ProblemBody} [body]
   */
  constructor(status, body) {
    super((body && (body.detail || body.title)) || 'HTTP ' + status);
    this.status = status;
    this.body = body || {};
  }
}

/**
 * Options of a request: type is a text body's media type, idem its
 * Idempotency-Key, accept the media type asked for, blob an answer taken
 * as a file (named name when the answer names none).
 * @typedef {{ type?: string, idem?: string, accept?: string, blob?: boolean, name?: string }} ApiOptions
 */

/**
 * api sends a request to the API and returns its answer's body (JSON,
 * text, or with opts.blob a file); a failure throws a Problem.
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {ApiOptions} [opts]
 * @returns {Promise<any>}
 */
export async function api(method, path, body, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (method !== 'GET') headers['Paylinks-CSRF'] = D.csrf;
  let payload;
  if (typeof body === 'string' || body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = opts.type || 'text/csv';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (opts.idem) headers['Idempotency-Key'] = opts.idem;
  if (opts.accept) headers.Accept = opts.accept;
  /** @type {Response} */
  let r;
  for (let tries = 0; ; tries++) {
    try {
      r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
    } catch {
      throw new Problem(0, { detail: t('network_error') });
    }
    // The merchant's rate limit: wait as told (a bulk action's many
    // calls), a few times.
    if (r.status !== 429 || tries === 3) break;
    const wait = Math.min(Number(r.headers.get('Retry-After')) || 1, 5);
    await new Promise((res) => setTimeout(res, wait * 1000));
  }
  if (r.status === 401) {
    location.assign('/dashboard/sign-in?next=' + encodeURIComponent(location.pathname + location.search));
    throw new Problem(401, { detail: t('signed_out_body') });
  }
  if (opts.blob && r.ok) return { blob: await r.blob(), name: fileName(r.headers.get('Content-Disposition'), opts.name) };
  const ct = r.headers.get('Content-Type') || '';
  const data = r.status === 204 ? null : ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Problem(r.status, typeof data === 'object' && data ? data : { detail: String(data) });
  return data;
}
/** newKey is a new Idempotency-Key. */
export const newKey = () => crypto.randomUUID();

/**
 * attempt is a form's Idempotency-Key: kept while a try may not have been
 * answered (a network error, a 5xx: resending is safe), new once the
 * server answered (a corrected form is another request).
 * @returns {{ key: string, answered: (e?: { status?: number }) => void }}
 */
export function attempt() {
  const a = {
    key: newKey(),
    /** @param {{ status?: number }} [e] */
    answered(e) { if (!e || (e.status >= 400 && e.status < 500)) a.key = newKey(); },
  };
  return a;
}
/**
 * qs is a query string of o's present values.
 * @param {Record<string, string | number | boolean | null | undefined>} o
 * @returns {string}
 */
export const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== '' && v !== null && v !== undefined).map(([k, v]) => [k, String(v)])).toString();

/**
 * onePage is a listing's page of the one resource at path (empty when
 * there is none): a search by id.
 * @param {string} path
 * @returns {Promise<{ data: any[], next_cursor: string | null }>}
 */
export async function onePage(path) {
  try {
    return { data: [await api('GET', path)], next_cursor: null };
  } catch (e) {
    if (e.status === 404) return { data: [], next_cursor: null };
    throw e;
  }
}

/**
 * fileName is the name a Content-Disposition gives, else fallback.
 * @param {string | null} cd
 * @param {string} [fallback]
 * @returns {string}
 */
function fileName(cd, fallback) {
  const m = /filename="?([^";]+)"?/.exec(cd || '');
  return m ? m[1] : fallback || 'export.csv';
}

/**
 * download saves blob as a file named name.
 * @param {Blob} blob
 * @param {string} name
 */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

/**
 * sleep resolves after ms milliseconds.
 * @param {number} ms
 * @returns {Promise<void>}
 */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
