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
