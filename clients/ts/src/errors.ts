import type { FieldError, Permission, Problem } from "./types.js";

/**
 * An answer of the API other than 2xx, read from its problem+json body
 * (RFC 9457): status, type, title, detail, the field errors of a validation
 * failure and, on a 403, the permission the caller lacks. An answer that is
 * not problem+json (a proxy's 502) still becomes one, titled by its status.
 */
export class PaylinksError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** Validation errors, each naming its field ("amount.value"); empty when none. */
  readonly errors: FieldError[];
  readonly missingPermission: Permission | undefined;
  /** Seconds the server asked to wait (429, 503), when it said. */
  readonly retryAfter: number | undefined;
  /** The problem document as received (undefined when the body was not one). */
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, statusText = "", retryAfter?: number) {
    const title = problem?.title || statusText || `HTTP ${status}`;
    const detail = problem?.detail;
    super(detail ? `${status} ${title}: ${detail}` : `${status} ${title}`);
    this.name = "PaylinksError";
    this.status = status;
    this.type = problem?.type || "about:blank";
    this.title = title;
    this.detail = detail;
    this.errors = problem?.errors ?? [];
    this.missingPermission = problem?.missing_permission;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }

  /** The message of the error on field, if the answer named it. */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  /** Reads a non-2xx response (its body consumed) into a PaylinksError. */
  static async fromResponse(response: Response): Promise<PaylinksError> {
    const text = await response.text();
    let problem: Problem | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isProblem(parsed)) {
        problem = parsed;
      }
    } catch {
      // not JSON: the status alone describes it
    }
    return new PaylinksError(response.status, problem, response.statusText, retryAfterSeconds(response));
  }
}

function isProblem(v: unknown): v is Problem {
  if (typeof v !== "object" || v === null) {
    return false;
  }
  const p = v as Record<string, unknown>;
  return typeof p.title === "string" && typeof p.status === "number" &&
    (p.errors === undefined || Array.isArray(p.errors));
}

/** The Retry-After header in seconds (the delta form the API sends), else undefined. */
export function retryAfterSeconds(response: Response): number | undefined {
  const h = response.headers.get("Retry-After");
  if (h === null || !/^[0-9]+$/.test(h.trim())) {
    return undefined;
  }
  return Number(h.trim());
}
