import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { verifyWebhook, WebhookVerificationError } from "../src/index.js";

// Known answers of the server's signer (shared/outbound.Sign, Go), so that
// this verification and that signing are held to the same bytes.
const SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const ROTATED = "whsec_cGF5bGlua3MtdHMtY2xpZW50LXJvdGF0ZWQtc2VjcmV0";
const ID = "msg_01JF0000000000000000000000";
const TS = 1765115000;
const BODY = `{"type":"payment_link.paid","timestamp":"2025-12-07T13:43:20Z","data":{"event_id":"ev_1","sequence":3,"link":{"id":"pl_1"}}}`;
const SIG = "v1,tgSpaRwPb0mDTctGNHgVllii+3Nk/27Bb/rqhsPyUJY=";
const SIG_ROTATED = "v1,NamgX+Gw5EtKLWZMUbgtFi3dXkayVhvbbTv+1rcrxxo=";
const AT = new Date((TS + 30) * 1000);

function headers(signature: string, ts = TS): Record<string, string> {
  return { "webhook-id": ID, "webhook-timestamp": String(ts), "webhook-signature": signature };
}

describe("verifyWebhook", () => {
  it("returns the event of a body signed by the server's signer", () => {
    const ev = verifyWebhook(SECRET, headers(SIG), BODY, AT);
    assert.equal(ev.type, "payment_link.paid");
    assert.equal(ev.data.sequence, 3);
    assert.equal(ev.data.link.id, "pl_1");
  });

  it("takes bytes, fetch Headers and node's header spelling", () => {
    const h = new Headers(headers(SIG));
    assert.equal(verifyWebhook(SECRET, h, Buffer.from(BODY), AT).type, "payment_link.paid");
    const upper = { "Webhook-Id": ID, "Webhook-Timestamp": String(TS), "Webhook-Signature": [SIG] };
    assert.equal(verifyWebhook(SECRET, upper, new TextEncoder().encode(BODY), AT).data.event_id, "ev_1");
  });

  it("accepts either secret during a rotation (several signatures)", () => {
    const both = `${SIG_ROTATED} ${SIG}`;
    assert.equal(verifyWebhook(SECRET, headers(both), BODY, AT).type, "payment_link.paid");
    assert.equal(verifyWebhook(ROTATED, headers(both), BODY, AT).type, "payment_link.paid");
    assert.throws(() => verifyWebhook(ROTATED, headers(SIG), BODY, AT), WebhookVerificationError);
  });

  it("refuses a tampered body, id or timestamp", () => {
    assert.throws(() => verifyWebhook(SECRET, headers(SIG), BODY.replace('"sequence":3', '"sequence":4'), AT), WebhookVerificationError);
    assert.throws(() => verifyWebhook(SECRET, { ...headers(SIG), "webhook-id": ID + "x" }, BODY, AT), WebhookVerificationError);
    assert.throws(() => verifyWebhook(SECRET, headers(SIG, TS + 1), BODY, AT), /no webhook-signature matches/);
  });

  it("refuses another scheme, a truncated or missing signature", () => {
    assert.throws(() => verifyWebhook(SECRET, headers(SIG.replace("v1,", "v2,")), BODY, AT), WebhookVerificationError);
    assert.throws(() => verifyWebhook(SECRET, headers(SIG.slice(0, -8)), BODY, AT), WebhookVerificationError);
    assert.throws(() => verifyWebhook(SECRET, { "webhook-id": ID, "webhook-timestamp": String(TS) }, BODY, AT), /missing/);
  });

  it("holds the timestamp within 5 minutes of now, either way", () => {
    assert.doesNotThrow(() => verifyWebhook(SECRET, headers(SIG), BODY, new Date((TS + 300) * 1000)));
    assert.doesNotThrow(() => verifyWebhook(SECRET, headers(SIG), BODY, new Date((TS - 300) * 1000)));
    assert.throws(() => verifyWebhook(SECRET, headers(SIG), BODY, new Date((TS + 301) * 1000)), /from now/);
    assert.throws(() => verifyWebhook(SECRET, headers(SIG), BODY, new Date((TS - 301) * 1000)), /from now/);
    assert.throws(() => verifyWebhook(SECRET, headers(SIG, Number.NaN), BODY, AT), /Unix time/);
  });

  it("refuses a secret that is not base64", () => {
    assert.throws(() => verifyWebhook("whsec_not base64!", headers(SIG), BODY, AT), /base64/);
  });

  it("refuses a secret without whsec_ or of fewer than 24 or more than 64 bytes, as the Go client does", () => {
    // The base64 alone is the same key, yet refused: a secret pasted
    // without its prefix may be another value altogether (the API key).
    assert.throws(() => verifyWebhook(SECRET.slice("whsec_".length), headers(SIG), BODY, AT), /whsec_/);
    assert.throws(() => verifyWebhook("whsec_" + Buffer.alloc(23, 7).toString("base64"), headers(SIG), BODY, AT), /24 to 64 bytes/);
    assert.throws(() => verifyWebhook("whsec_" + Buffer.alloc(65, 7).toString("base64"), headers(SIG), BODY, AT), /24 to 64 bytes/);
    assert.throws(() => verifyWebhook("whsec_AA==", headers(SIG), BODY, AT), WebhookVerificationError);
  });

  it("refuses a signed body that is not JSON, and an old timestamp however well signed", () => {
    const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
    const sign = (ts: number, body: string) => "v1," + createHmac("sha256", key).update(`${ID}.${ts}.${body}`).digest("base64");
    assert.throws(() => verifyWebhook(SECRET, headers(sign(TS, "not json"), TS), "not json", AT), /not JSON/);
    const old = TS - 3600;
    assert.throws(() => verifyWebhook(SECRET, headers(sign(old, BODY), old), BODY, AT), /from now/);
  });
});
