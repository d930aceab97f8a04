/**
 * A filter, sort, cursor or option the store cannot accept. `field` names it (as the
 * caller wrote it) and `message` says why; nothing has touched the database.
 */
export class StoreQueryError extends TypeError {
  override readonly name = 'StoreQueryError'
  readonly code = 'invalid_filter'
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`)
  }
}

// PostgreSQL cannot hold NUL in text, nor a lone surrogate in jsonb: such a value in a filter
// could never match, and would come back from the database as an error, so it is refused here.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** `value`, or a `StoreQueryError` when it holds a NUL or a lone surrogate. */
export function storable(field: string, value: string): string {
  if (UNSTORABLE.test(value)) {
    if (value.includes('\u0000')) throw new StoreQueryError(field, 'must not contain NUL (\\u0000)')
    if (LONE_SURROGATE.test(value))
      throw new StoreQueryError(field, 'must not contain a lone UTF-16 surrogate')
  }
  return value
}
