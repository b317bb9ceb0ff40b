// Standard Webhooks (https://www.standardwebhooks.com) verification of the
// events paylinks POSTs to the merchant's endpoint: webhook-id,
// webhook-timestamp and webhook-signature, one or more space-separated
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" (two during a secret's
// rotation), keyed by the base64 bytes after "whsec_".
import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookEvent } from "./types.js";

/** How far webhook-timestamp may be from now, either way. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = "whsec_";

/** A webhook that is not signed with the secret, or is stale, or malformed. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** The request's headers: a fetch Headers, or node's IncomingHttpHeaders. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") {
    return (headers as Headers).get(name) ?? undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === name) {
      return Array.isArray(v) ? v.join(" ") : v;
    }
  }
  return undefined;
}

// secretKey is the key of a whsec_ secret: 24 to 64 bytes in base64 after
// the prefix, as the Go client (ErrWebhookSecret) and the server's secrets.
function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new WebhookVerificationError("the secret is not whsec_ followed by base64 (the prefix is part of it)");
  }
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new WebhookVerificationError("the secret is not whsec_ followed by base64");
  }
  const key = Buffer.from(b64, "base64");
  if (key.length < 24 || key.length > 64) {
    throw new WebhookVerificationError(`the secret's key is ${key.length} bytes, not 24 to 64 bytes`);
  }
  return key;
}

/**
 * Checks a received webhook and returns its parsed event. body must be the
 * raw bytes (or their UTF-8 text) as received, before any JSON parsing.
 * Throws WebhookVerificationError when a header is missing, the timestamp
 * is more than 5 minutes from now (either way), no v1 signature matches, or
 * the secret is not whsec_ followed by 24 to 64 bytes in base64.
 */
export function verifyWebhook(secret: string, headers: WebhookHeaders, body: string | Uint8Array, now: Date = new Date()): WebhookEvent {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  if (!/^[0-9]{1,15}$/.test(timestamp)) {
    throw new WebhookVerificationError("webhook-timestamp is not a Unix time in seconds");
  }
  const skew = Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp));
  if (skew > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError(`webhook-timestamp is ${skew} s from now (at most ${WEBHOOK_TOLERANCE_SECONDS})`);
  }
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const expected = createHmac("sha256", secretKey(secret)).update(`${id}.${timestamp}.`).update(raw).digest();
  let matched = false;
  for (const sig of signatures.split(" ")) {
    const comma = sig.indexOf(",");
    if (comma < 0 || sig.slice(0, comma) !== "v1") {
      continue;
    }
    const got = Buffer.from(sig.slice(comma + 1), "base64");
    if (got.length === expected.length && timingSafeEqual(got, expected)) {
      matched = true;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError("no webhook-signature matches the body with this secret");
  }
  try {
    return JSON.parse(raw.toString("utf8")) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError("the signed body is not JSON");
  }
}
