// @ts-check
// Building the page: $ and $$ find, h builds an element, put replaces
// children, nextId names a new element.

/**
 * Kid is what h and put take as children: a node, text (a number or true
 * is written as text), or a list of kids; null, undefined and false are
 * left out.
 * @typedef {Node | string | number | boolean | null | undefined | Kid[]} Kid
 */

/**
 * Attrs are an element's attributes: on* are listeners, class its class
 * name, value an input's value; true is an empty attribute, and null,
 * undefined and false leave it out.
 * @typedef {Record<string, string | number | boolean | null | undefined | ((ev: any) => unknown)>} Attrs
 */

/**
 * $ is the first element that matches sel in el (the document).
 * @param {string} sel
 * @param {ParentNode} [el]
 * @returns {HTMLElement | null}
 */
export const $ = (sel, el = document) => el.querySelector(sel);

/**
 * $$ is every element that matches sel in el (the document).
 * @param {string} sel
 * @param {ParentNode} [el]
 * @returns {HTMLElement[]}
 */
export const $$ = (sel, el = document) => Array.from(el.querySelectorAll(sel));

/**
 * h builds an element: attributes (on* are listeners), then children
 * (strings become text nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Kid} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') {
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    } else if (k === 'class') el.className = String(v);
    else if (k === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) /** @type {HTMLInputElement} */ (/** @type {unknown} */ (el)).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of flat(kids)) el.append(c);
  return el;
}

/**
 * flat is the kids present, as nodes and text.
 * @param {Kid[]} kids
 * @returns {Array<Node | string>}
 */
function flat(kids) {
  /** @type {Array<Node | string>} */
  const out = [];
  for (const c of kids) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) out.push(...flat(c));
    else out.push(c instanceof Node ? c : String(c));
  }
  return out;
}

/**
 * put replaces el's children with kids, leaving out the absent ones.
 * @param {Element} el
 * @param {...Kid} kids
 */
export function put(el, ...kids) {
  el.replaceChildren(...flat(kids));
}

let uid = 0;
/**
 * nextId is a new element id: prefix and a number no other has.
 * @param {string} prefix
 * @returns {string}
 */
export const nextId = (prefix) => prefix + ++uid;

/**
 * Control is a form's control as the pages read it by name: an input, a
 * select, a text area, or radio buttons of one name (a RadioNodeList).
 * @typedef {{ value: string, checked: boolean, addEventListener: HTMLElement['addEventListener'] }} Control
 */

/**
 * controls are form's controls by name (form.elements).
 * @param {HTMLFormElement} form
 * @returns {Record<string, Control>}
 */
export const controls = (form) => /** @type {Record<string, Control>} */ (/** @type {unknown} */ (form.elements));

/**
 * inputs are the input elements that match sel in el (the document).
 * @param {string} sel
 * @param {ParentNode} [el]
 * @returns {HTMLInputElement[]}
 */
export const inputs = (sel, el = document) => /** @type {HTMLInputElement[]} */ ($$(sel, el));
