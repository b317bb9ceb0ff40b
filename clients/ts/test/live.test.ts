// The client against a running paylinks (make dev): run when
// PAYLINKS_API_URL and PAYLINKS_API_KEY are set (infra/devserver's
// TestTypeScriptClient starts make dev and sets them), skipped otherwise.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  createPaylinksClient, money, PaylinksError, verifyWebhook, WebhookVerificationError,
  type CreatePaymentLink, type FeedEvent, type PaymentLink, type WebhookEvent,
} from "../src/index.js";

const baseUrl = process.env.PAYLINKS_API_URL ?? "";
const apiKey = process.env.PAYLINKS_API_KEY ?? "";
const skip = baseUrl && apiKey ? false : "set PAYLINKS_API_URL and PAYLINKS_API_KEY to run against a paylinks (make dev)";

const run = randomBytes(4).toString("hex");
const customer = { first_name: "Ana", last_name: "Peeters" };

function newLink(value: string, extra: Partial<CreatePaymentLink> = {}): CreatePaymentLink {
  return { amount: money("EUR", value), description: `ts client ${run}`, customer, ...extra };
}

/** Polls check every 200 ms until it returns a value other than undefined, for at most ms. */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe("the client against a running paylinks", { skip }, () => {
  const paylinks = createPaylinksClient({ baseUrl, apiKey });
  const received: Received[] = [];
  const hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  const secret = "whsec_" + randomBytes(32).toString("base64");
  // The webhook of the link created in the webhook test, as verified.
  let hook: { id: string; event: WebhookEvent } | undefined;

  before(() => new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve)));
  after(() => new Promise<void>((resolve) => {
    hooks.closeAllConnections();
    hooks.close(() => resolve());
  }));

  it("creates a link and reads it back, money as decimal strings", async () => {
    const made = await paylinks.paymentLinks.create(newLink("41.20", { reference: `TS-${run}-1`, metadata: { run } }));
    assert.match(made.id, /^pl_/);
    assert.equal(made.status, "created");
    assert.deepEqual(made.amount, { currency: "EUR", value: "41.20" });
    const read = await paylinks.paymentLinks.get(made.id);
    assert.equal(read.id, made.id);
    assert.equal(read.reference, `TS-${run}-1`);
    assert.deepEqual(read.amount, { currency: "EUR", value: "41.20" });
    assert.equal(typeof read.amount_refunded.value, "string");
  });

  it("replays a create with the same Idempotency-Key; a call without one makes a new link", async () => {
    const key = `ts-${run}-idem`;
    const first = await paylinks.paymentLinks.create(newLink("5.00"), { idempotencyKey: key });
    const again = await paylinks.paymentLinks.create(newLink("5.00"), { idempotencyKey: key });
    assert.equal(again.id, first.id);
    const other = await paylinks.paymentLinks.create(newLink("5.00"));
    const another = await paylinks.paymentLinks.create(newLink("5.00"));
    assert.notEqual(other.id, another.id);
    assert.ok(![other.id, another.id].includes(first.id));
  });

  it("lists every page of a filtered listing", async () => {
    // The customer filter matches a part of the customer's name: this run's own.
    const name = `Peeters${run}`;
    const made: PaymentLink[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(await paylinks.paymentLinks.create(newLink(`7.0${i}`, { customer: { first_name: "Ana", last_name: name } })));
    }
    const first = await paylinks.paymentLinks.list({ customer: name, limit: 2 });
    assert.ok(first.data.length <= 2);
    assert.notEqual(first.next_cursor, null, "five links in pages of two: more than one page");
    const ids = await eventually("all five listed", 10_000, async () => {
      const got: string[] = [];
      for await (const l of paylinks.paymentLinks.listAll({ customer: name, limit: 2 })) {
        got.push(l.id);
      }
      return got.length === 5 ? got : undefined;
    });
    assert.deepEqual(ids, made.map((l) => l.id).reverse(), "newest first, each link once");
  });

  it("throws the API's problems as PaylinksError", async () => {
    const tooPrecise = await paylinks.paymentLinks.create(newLink("12.345")).catch((e: unknown) => e);
    assert.ok(tooPrecise instanceof PaylinksError, String(tooPrecise));
    assert.equal(tooPrecise.status, 422);
    assert.ok(tooPrecise.fieldError("amount.value"), `errors name amount.value: ${JSON.stringify(tooPrecise.errors)}`);

    const missing = await paylinks.paymentLinks.get("pl_01JF000000000000000000NONE").catch((e: unknown) => e);
    assert.ok(missing instanceof PaylinksError);
    assert.equal(missing.status, 404);
    assert.ok(missing.type && missing.title);

    const stranger = createPaylinksClient({ baseUrl, apiKey: "sk_test_nobody000000000000000000000000000000000" });
    const unauthorized = await stranger.paymentLinks.list().catch((e: unknown) => e);
    assert.ok(unauthorized instanceof PaylinksError);
    assert.equal(unauthorized.status, 401);
  });

  it("pays a link at the sandbox and refunds part of it", async () => {
    const link = await paylinks.paymentLinks.create(newLink("30.00"));
    const open = await fetch(link.url, { redirect: "manual" });
    assert.equal(open.status, 302);
    const checkout = new URL(open.headers.get("Location") ?? "", link.url);
    assert.match(checkout.pathname, /^\/sandbox\/checkout\//);
    const pay = await fetch(new URL(checkout.pathname + "/pay", checkout), { method: "POST", redirect: "manual" });
    assert.equal(pay.status, 303);
    await eventually("the link paid", 30_000, async () => {
      const l = await paylinks.paymentLinks.get(link.id);
      return l.status === "paid" ? l : undefined;
    });

    const refund = await paylinks.refunds.create(link.id, { amount: money("EUR", "10.00"), reason: "ts client partial refund" });
    assert.match(refund.id, /^re_/);
    assert.equal(refund.status, "pending");
    assert.deepEqual(refund.amount, { currency: "EUR", value: "10.00" });
    const tooMuch = await paylinks.refunds.create(link.id, { amount: money("EUR", "25.00") }).catch((e: unknown) => e);
    assert.ok(tooMuch instanceof PaylinksError);
    assert.equal(tooMuch.status, 422);
    const settled = await eventually("the refund succeeded", 30_000, async () =>
      (await paylinks.refunds.list(link.id)).find((r) => r.id === refund.id && r.status === "succeeded"));
    assert.equal(settled.amount.value, "10.00");
    const after = await paylinks.paymentLinks.get(link.id);
    assert.deepEqual(after.amount_refunded, { currency: "EUR", value: "10.00" });
  });

  it("verifies the webhooks the merchant's endpoint receives", async (t) => {
    const url = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`;
    // The endpoint as it was afterwards ("" clears it; the secret is write-only), not left at this closed server.
    const was = (await paylinks.settings.get()).webhook_url ?? "";
    t.after(() => paylinks.settings.update({ webhook_url: was }).then(() => undefined));
    const set = await paylinks.settings.update({ webhook_url: url, webhook_secret: secret });
    assert.equal(set.webhook_url, url);
    assert.equal(set.webhook_secret_set, true);
    const link = await paylinks.paymentLinks.create(newLink("12.00"));
    const got = await eventually("its payment_link.created webhook", 30_000, async () =>
      received.find((r) => {
        const ev = JSON.parse(r.body.toString("utf8")) as WebhookEvent;
        return ev.type === "payment_link.created" && ev.data.link.id === link.id;
      }));
    const event = verifyWebhook(secret, got.headers, got.body);
    assert.equal(event.type, "payment_link.created");
    assert.equal(event.data.link.id, link.id);
    assert.deepEqual(event.data.link.amount, { currency: "EUR", value: "12.00" });

    const tampered = Buffer.from(got.body.toString("utf8").replace('"12.00"', '"1200.00"'));
    assert.notDeepEqual(tampered, got.body);
    assert.throws(() => verifyWebhook(secret, got.headers, tampered), WebhookVerificationError);
    assert.throws(() => verifyWebhook("whsec_" + randomBytes(32).toString("base64"), got.headers, got.body), WebhookVerificationError);
    const id = got.headers["webhook-id"];
    assert.ok(typeof id === "string");
    hook = { id, event };
  });

  it("reads the event feed: the webhook's event under its webhook-id", async () => {
    assert.ok(hook, "the webhook test ran first");
    const want = hook;
    const feed: FeedEvent[] = [];
    const cursor = await eventually("the webhook's event in the feed", 20_000, async () => {
      feed.length = 0;
      const it = paylinks.events.readAll({ types: "payment_link.created", limit: 3 });
      for (let r = await it.next(); ; r = await it.next()) {
        if (r.done) {
          return feed.some((e) => e.id === want.id) ? (r.value ?? "") : undefined;
        }
        feed.push(r.value);
      }
    });
    assert.ok(feed.length > 3, "read over several pages of 3");
    assert.ok(feed.every((e) => e.type === "payment_link.created"));
    assert.equal(new Set(feed.map((e) => e.id)).size, feed.length, "no event twice");
    const inFeed = feed.find((e) => e.id === want.id);
    assert.deepEqual({ type: inFeed?.type, timestamp: inFeed?.timestamp, data: inFeed?.data }, want.event);
    const one = await paylinks.events.get(want.id);
    assert.equal(one.id, want.id);
    assert.equal(one.data.link.id, want.event.data.link.id);

    const later = await paylinks.paymentLinks.create(newLink("13.00"));
    const next = await eventually("the next event after the cursor", 20_000, async () => {
      const page = await paylinks.events.list({ after: cursor, types: "payment_link.created" });
      return page.data.length > 0 ? page.data : undefined;
    });
    assert.deepEqual(next.map((e) => e.data.link.id), [later.id], "resuming after the cursor: only what came since");
  });
});
