import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createPaylinksClient, money, PaylinksError, type CreatePaymentLink } from "../src/index.js";
import { fakeAPI, json, type FakeAPI } from "./fakeapi.js";

const link = (id: string) => ({ id, status: "created", amount: { currency: "EUR", value: "12.50" } });
const newLink: CreatePaymentLink = {
  amount: money("EUR", "12.50"), description: "Invoice 1", customer: { first_name: "Ana", last_name: "Peeters" },
};

describe("money", () => {
  it("takes decimal strings only", () => {
    assert.deepEqual(money("EUR", "12.50"), { currency: "EUR", value: "12.50" });
    assert.deepEqual(money("JPY", "1200"), { currency: "JPY", value: "1200" });
    for (const bad of [12.5, "12,50", "-1.00", "1e3", " 1.00", "", "1."]) {
      assert.throws(() => money("EUR", bad as string), TypeError, `value ${JSON.stringify(bad)}`);
    }
    assert.throws(() => money("eur", "1.00"), /currency/);
  });

  it("is checked before a create or a refund is sent", async () => {
    const api = await fakeAPI((_req, res) => json(res, 201, link("pl_1")));
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x" });
      const asNumber = { ...newLink, amount: { currency: "EUR", value: 12.5 } } as unknown as CreatePaymentLink;
      await assert.rejects(c.paymentLinks.create(asNumber), /amount.value: a decimal string/);
      await assert.rejects(c.refunds.create("pl_1", { amount: { currency: "EUR", value: 1 as unknown as string } }), TypeError);
      assert.equal(api.seen.length, 0);
    } finally {
      await api.close();
    }
  });
});

describe("errors", () => {
  let api: FakeAPI;
  before(async () => {
    api = await fakeAPI((req, res) => {
      if (req.url.startsWith("/v1/payment-links/pl_missing")) {
        json(res, 404, { type: "https://paylinks.dev/problems/not-found", title: "Not Found", status: 404, detail: "no such link" });
      } else if (req.method === "POST") {
        json(res, 422, { type: "https://paylinks.dev/problems/validation", title: "Unprocessable Entity", status: 422,
          detail: "invalid fields", errors: [{ field: "amount.value", message: "too many decimals for EUR" }] });
      } else if (req.url.startsWith("/v1/settings")) {
        json(res, 403, { type: "https://paylinks.dev/problems/forbidden", title: "Forbidden", status: 403, missing_permission: "settings:read" });
      } else {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end("upstream broke");
      }
    });
  });
  after(() => api.close());

  it("throws problem+json answers as PaylinksError", async () => {
    const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x", maxRetries: 0 });
    const notFound = await c.paymentLinks.get("pl_missing").catch((e: unknown) => e);
    assert.ok(notFound instanceof PaylinksError);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.type, "https://paylinks.dev/problems/not-found");
    assert.equal(notFound.detail, "no such link");
    assert.equal(notFound.message, "404 Not Found: no such link");

    const invalid = await c.paymentLinks.create(newLink).catch((e: unknown) => e);
    assert.ok(invalid instanceof PaylinksError);
    assert.equal(invalid.status, 422);
    assert.deepEqual(invalid.errors, [{ field: "amount.value", message: "too many decimals for EUR" }]);
    assert.equal(invalid.fieldError("amount.value"), "too many decimals for EUR");

    const forbidden = await c.settings.get().catch((e: unknown) => e);
    assert.ok(forbidden instanceof PaylinksError);
    assert.equal(forbidden.missingPermission, "settings:read");
  });

  it("makes a PaylinksError of an answer that is no problem document", async () => {
    const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x", maxRetries: 0 });
    const err = await c.events.get("msg_1").catch((e: unknown) => e);
    assert.ok(err instanceof PaylinksError);
    assert.equal(err.status, 500);
    assert.equal(err.problem, undefined);
    assert.equal(err.type, "about:blank");
  });
});

describe("idempotency keys and retries", () => {
  it("puts a new Idempotency-Key on every POST, the one given when given, none on a GET", async () => {
    const api = await fakeAPI((req, res) => json(res, req.method === "POST" ? 201 : 200, link("pl_1")));
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_key" });
      await c.paymentLinks.create(newLink);
      await c.paymentLinks.create(newLink);
      await c.paymentLinks.create(newLink, { idempotencyKey: "order-8812" });
      await c.refunds.create("pl_1");
      await c.paymentLinks.get("pl_1");
      const keys = api.seen.map((s) => s.headers["idempotency-key"]);
      assert.match(String(keys[0]), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(keys[0], keys[1]);
      assert.equal(keys[2], "order-8812");
      assert.ok(keys[3] && keys[3] !== keys[0] && keys[3] !== keys[1]);
      assert.equal(keys[4], undefined);
      assert.ok(api.seen.every((s) => s.headers.authorization === "Bearer sk_test_key"));
    } finally {
      await api.close();
    }
  });

  it("retries a 503, a 429 and a dropped connection with the same key and body", async () => {
    const api = await fakeAPI((_req, res, n) => {
      if (n === 1) {
        json(res, 503, { type: "about:blank", title: "Service Unavailable", status: 503 }, { "Retry-After": "0" });
      } else if (n === 2) {
        json(res, 429, { type: "about:blank", title: "Too Many Requests", status: 429 }, { "Retry-After": "0" });
      } else if (n === 3) {
        res.socket?.destroy();
      } else {
        json(res, 201, link("pl_1"));
      }
    });
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x", maxRetries: 3, retryDelayMs: 1 });
      const l = await c.paymentLinks.create(newLink);
      assert.equal(l.id, "pl_1");
      assert.equal(api.seen.length, 4);
      const keys = new Set(api.seen.map((s) => s.headers["idempotency-key"]));
      assert.equal(keys.size, 1);
      assert.ok(api.seen.every((s) => s.body === api.seen[0]?.body && s.body.includes('"value":"12.50"')));
    } finally {
      await api.close();
    }
  });

  it("gives up after maxRetries with the last answer as PaylinksError", async () => {
    const api = await fakeAPI((_req, res) =>
      json(res, 503, { type: "about:blank", title: "Service Unavailable", status: 503, detail: "table throttled" }, { "Retry-After": "0" }));
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x", maxRetries: 2 });
      const err = await c.paymentLinks.create(newLink).catch((e: unknown) => e);
      assert.ok(err instanceof PaylinksError);
      assert.equal(err.status, 503);
      assert.equal(err.retryAfter, 0);
      assert.equal(api.seen.length, 3);
    } finally {
      await api.close();
    }
  });
});

describe("pagination", () => {
  it("reads every page of a list until next_cursor is null", async () => {
    const pages: Record<string, { ids: string[]; next: string | null }> = {
      "": { ids: ["pl_5", "pl_4"], next: "c1" }, c1: { ids: ["pl_3", "pl_2"], next: "c2" }, c2: { ids: ["pl_1"], next: null },
    };
    const api = await fakeAPI((req, res) => {
      const q = new URL(req.url, "http://x").searchParams;
      const p = pages[q.get("cursor") ?? ""];
      if (!p || q.get("limit") !== "2" || q.get("status") !== "paid") {
        json(res, 400, { type: "about:blank", title: "Bad Request", status: 400 });
        return;
      }
      json(res, 200, { data: p.ids.map(link), next_cursor: p.next });
    });
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x" });
      const ids: string[] = [];
      for await (const l of c.paymentLinks.listAll({ status: "paid", limit: 2 })) {
        ids.push(l.id);
      }
      assert.deepEqual(ids, ["pl_5", "pl_4", "pl_3", "pl_2", "pl_1"]);
      assert.equal(api.seen.length, 3);
    } finally {
      await api.close();
    }
  });

  it("reads the feed until has_more is false and returns the cursor to poll with", async () => {
    const ev = (id: string) => ({ id, type: "payment_link.created", timestamp: "2026-12-07T13:00:00Z", data: { event_id: "ev", sequence: 1, link: link("pl_1") } });
    const api = await fakeAPI((req, res) => {
      const after = new URL(req.url, "http://x").searchParams.get("after");
      if (after === "msg_0") {
        json(res, 200, { data: [ev("msg_1"), ev("msg_2")], next_cursor: "msg_2", has_more: true });
      } else if (after === "msg_2") {
        json(res, 200, { data: [ev("msg_3")], next_cursor: "msg_3", has_more: false });
      } else {
        json(res, 404, { type: "about:blank", title: "Not Found", status: 404 });
      }
    });
    try {
      const c = createPaylinksClient({ baseUrl: api.url, apiKey: "sk_test_x" });
      const it = c.events.readAll({ after: "msg_0", types: "payment_link.created" });
      const ids: string[] = [];
      let r = await it.next();
      while (!r.done) {
        ids.push(r.value.id);
        r = await it.next();
      }
      assert.deepEqual(ids, ["msg_1", "msg_2", "msg_3"]);
      assert.equal(r.value, "msg_3");
      assert.ok(api.seen.every((s) => s.url.includes("types=payment_link.created")));
    } finally {
      await api.close();
    }
  });
});
