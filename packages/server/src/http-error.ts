// The one error type routes throw for a client-facing failure: status, code and message.

/**
 * An answer other than 2xx, sent as `{ error: code, message, ...extra }`. `extra.retryAfter`
 * (seconds) becomes a `Retry-After` header instead of a body field.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}
