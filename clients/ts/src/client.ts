import { randomUUID } from "node:crypto";
import createClient, { type Client, type Middleware } from "openapi-fetch";
import { PaylinksError, retryAfterSeconds } from "./errors.js";
import { assertMoney } from "./money.js";
import type { paths } from "./openapi.js";
import { paginate, readFeed } from "./pagination.js";
import type {
  CreatePaymentLink, CreateRefund, FeedEvent, FeedPage, ListEventsQuery, ListPaymentLinksQuery, Page,
  PaymentLink, Refund, Settings, SettingsUpdate,
} from "./types.js";

export interface ClientOptions {
  /** The API's origin, e.g. "http://127.0.0.1:8080" for make dev. */
  baseUrl: string;
  /** An API key, sk_test_... or sk_live_... */
  apiKey: string;
  /** The fetch that sends each attempt (globalThis.fetch by default). */
  fetch?: (request: Request) => Promise<Response>;
  /** Retries after a network error, 429, 502, 503 or 504 (2 by default; 0: none). */
  maxRetries?: number;
  /** The first retry's delay when the answer has no Retry-After, doubled each time (250 ms). */
  retryDelayMs?: number;
  /** The longest wait before a retry, Retry-After included (10 s). */
  maxRetryDelayMs?: number;
}

/** Per-call options of the write helpers. */
export interface WriteOptions {
  /** The Idempotency-Key of this POST (a random UUID per call otherwise). */
  idempotencyKey?: string;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fetch that sends the request again after a network error or a
 * retryable status, each attempt a clone of the same Request: its headers,
 * the Idempotency-Key set once before the first attempt included, and its
 * body are the same on every attempt, so the server replays rather than
 * repeats a POST it already did.
 */
export function retryingFetch(send: (r: Request) => Promise<Response>, maxRetries: number, delayMs: number, maxDelayMs: number) {
  return async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= maxRetries;
      let response: Response;
      try {
        response = await send(last ? request : request.clone());
      } catch (err) {
        if (last || request.signal.aborted) {
          throw err;
        }
        await sleep(Math.min(delayMs * 2 ** attempt, maxDelayMs));
        continue;
      }
      if (last || !RETRYABLE.has(response.status)) {
        return response;
      }
      const after = retryAfterSeconds(response);
      await response.body?.cancel();
      await sleep(Math.min(after === undefined ? delayMs * 2 ** attempt : after * 1000, maxDelayMs));
    }
  };
}

/**
 * The client's middleware: an Idempotency-Key on every POST that has none,
 * and every answer other than 2xx thrown as a PaylinksError.
 */
const paylinksMiddleware: Middleware = {
  onRequest({ request }) {
    if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
      request.headers.set("Idempotency-Key", randomUUID());
    }
    return request;
  },
  async onResponse({ response }) {
    if (!response.ok) {
      throw await PaylinksError.fromResponse(response);
    }
    return undefined;
  },
};

type Result<T> = Promise<{ data?: T; response: Response }>;

// data of a 2xx answer that has a body (the middleware threw on any other).
async function body<T>(result: Result<T>): Promise<T> {
  const { data, response } = await result;
  if (data === undefined) {
    throw new PaylinksError(response.status, undefined, `${response.status} with no body where the API promises one`);
  }
  return data;
}

function idem(o: WriteOptions | undefined): { headers?: Record<string, string> } {
  return o?.idempotencyKey ? { headers: { "Idempotency-Key": o.idempotencyKey } } : {};
}

export interface PaylinksClient {
  /** Every operation of the API, typed from the OpenAPI document (openapi-fetch); errors thrown as PaylinksError. */
  raw: Client<paths>;
  paymentLinks: {
    create(link: CreatePaymentLink, o?: WriteOptions): Promise<PaymentLink>;
    get(id: string): Promise<PaymentLink>;
    /** One page, newest first. */
    list(query?: ListPaymentLinksQuery): Promise<Page<PaymentLink>>;
    /** Every link the filters select, all pages (limit is the page size). */
    listAll(query?: Omit<ListPaymentLinksQuery, "cursor">): AsyncGenerator<PaymentLink, void, undefined>;
  };
  refunds: {
    /** Refunds amount of a paid link (no amount: the rest); pending until the PSP answers. */
    create(linkId: string, refund?: CreateRefund, o?: WriteOptions): Promise<Refund>;
    list(linkId: string): Promise<Refund[]>;
  };
  events: {
    /** One page of the feed, oldest first. */
    list(query?: ListEventsQuery): Promise<FeedPage<FeedEvent>>;
    get(id: string): Promise<FeedEvent>;
    /**
     * Every event after query.after (from the oldest kept without it) until
     * has_more is false; the iteration's return value is the cursor to
     * poll with later.
     */
    readAll(query?: ListEventsQuery): AsyncGenerator<FeedEvent, string | undefined, undefined>;
  };
  settings: {
    get(): Promise<Settings>;
    update(settings: SettingsUpdate): Promise<Settings>;
  };
}

/** A client of one merchant's API key. */
export function createPaylinksClient(options: ClientOptions): PaylinksClient {
  const send = options.fetch ?? ((r: Request) => globalThis.fetch(r));
  const raw = createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { Authorization: `Bearer ${options.apiKey}`, Accept: "application/json, application/problem+json" },
    fetch: retryingFetch(send, options.maxRetries ?? 2, options.retryDelayMs ?? 250, options.maxRetryDelayMs ?? 10_000),
  });
  raw.use(paylinksMiddleware);

  const listLinks = (query: ListPaymentLinksQuery = {}) =>
    body(raw.GET("/v1/payment-links", { params: { query } }));
  const listEvents = (query: ListEventsQuery = {}) =>
    body(raw.GET("/v1/events", { params: { query } }));

  return {
    raw,
    paymentLinks: {
      async create(link, o) {
        assertMoney(link.amount, "amount");
        return body(raw.POST("/v1/payment-links", { body: link, ...idem(o) }));
      },
      get: (id) => body(raw.GET("/v1/payment-links/{id}", { params: { path: { id } } })),
      list: listLinks,
      listAll: (query = {}) => paginate((cursor) => listLinks(cursor === undefined ? query : { ...query, cursor })),
    },
    refunds: {
      async create(linkId, refund = {}, o) {
        if (refund.amount !== undefined) {
          assertMoney(refund.amount, "amount");
        }
        return body(raw.POST("/v1/payment-links/{id}/refunds", { params: { path: { id: linkId } }, body: refund, ...idem(o) }));
      },
      list: async (linkId) => (await body(raw.GET("/v1/payment-links/{id}/refunds", { params: { path: { id: linkId } } }))).data,
    },
    events: {
      list: listEvents,
      get: (id) => body(raw.GET("/v1/events/{id}", { params: { path: { id } } })),
      readAll: ({ after, ...query } = {}) =>
        readFeed((cursor) => listEvents(cursor === undefined ? query : { ...query, after: cursor }), after),
    },
    settings: {
      get: () => body(raw.GET("/v1/settings")),
      update: (settings) => body(raw.PUT("/v1/settings", { body: settings })),
    },
  };
}
