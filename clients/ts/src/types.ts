// The API's shapes under short names, all from the generated src/openapi.ts
// (openapi-typescript of shared/openapi/openapi.json), except the money the
// client takes: a decimal string, never a number.
import type { components, operations } from "./openapi.js";

type Schemas = components["schemas"];

export type Money = Schemas["Money"];
export type PaymentLink = Schemas["PaymentLink"];
export type Refund = Schemas["Refund"];
export type Settings = Schemas["Settings"];
export type SettingsUpdate = Schemas["SettingsUpdate"];
export type FeedEvent = Schemas["FeedEvent"];
export type WebhookEvent = Schemas["WebhookEvent"];
export type EventType = FeedEvent["type"];
export type Problem = Schemas["Problem"];
export type FieldError = NonNullable<Problem["errors"]>[number];
export type Permission = Schemas["Permission"];

/** Money as this client sends it: the amount is a decimal string ("12.50"). */
export interface MoneyInput {
  currency: string;
  value: string;
}

/** The body of POST /v1/payment-links, its amount a decimal string. */
export type CreatePaymentLink = Omit<Schemas["CreatePaymentLink"], "amount"> & { amount: MoneyInput };

/** The body of POST /v1/payment-links/{id}/refunds (no amount: the rest). */
export interface CreateRefund {
  amount?: MoneyInput;
  reason?: string;
}

export type ListPaymentLinksQuery = NonNullable<operations["listPaymentLinks"]["parameters"]["query"]>;
export type ListEventsQuery = NonNullable<operations["listEvents"]["parameters"]["query"]>;

/** A page of a list endpoint: next_cursor null on the last. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** A page of the event feed: has_more false when no settled event follows now. */
export interface FeedPage<T> extends Page<T> {
  has_more: boolean;
}
