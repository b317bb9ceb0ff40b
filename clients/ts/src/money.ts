import type { MoneyInput } from "./types.js";

// A decimal string as the API reads it: digits, an optional fraction, no
// sign, exponent or spaces. The server checks the currency's decimals and
// range; the client only refuses what is not a decimal string at all.
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** Whether value is a decimal string such as "12.50" (never a number). */
export function isDecimalString(value: unknown): value is string {
  return typeof value === "string" && DECIMAL.test(value);
}

/**
 * money("EUR", "12.50"): an amount to send. A number (12.5), a signed or
 * exponent string throws a TypeError: amounts travel as decimal strings so
 * that no binary float ever rounds them.
 */
export function money(currency: string, value: string): MoneyInput {
  const m = { currency, value };
  assertMoney(m, "amount");
  return m;
}

/** Throws a TypeError naming field when m is not {currency, value: decimal string}. */
export function assertMoney(m: unknown, field: string): asserts m is MoneyInput {
  if (typeof m !== "object" || m === null) {
    throw new TypeError(`${field}: money must be {currency, value}`);
  }
  const { currency, value } = m as Record<string, unknown>;
  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) {
    throw new TypeError(`${field}.currency: an ISO 4217 code such as "EUR", got ${JSON.stringify(currency)}`);
  }
  if (!isDecimalString(value)) {
    throw new TypeError(`${field}.value: a decimal string such as "12.50", got ${typeof value} ${JSON.stringify(value)}`);
  }
}
