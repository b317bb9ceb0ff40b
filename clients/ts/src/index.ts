// @paylinks/client: the paylinks HTTP API from TypeScript (Node 20+).
export { createPaylinksClient, retryingFetch } from "./client.js";
export type { ClientOptions, PaylinksClient, WriteOptions } from "./client.js";
export { PaylinksError } from "./errors.js";
export { assertMoney, isDecimalString, money } from "./money.js";
export { paginate, readFeed } from "./pagination.js";
export { verifyWebhook, WebhookVerificationError, WEBHOOK_TOLERANCE_SECONDS } from "./webhooks.js";
export type { WebhookHeaders } from "./webhooks.js";
export type * from "./types.js";
export type { components, operations, paths } from "./openapi.js";
