import type { Store, StoreOptions } from '@threadline/store'

export interface ServerOptions {
  /**
   * An open store to serve. When absent the server opens one from `databaseUrl` / `dataDir`
   * (PGlite under `.threadline/data` by default) and closes it on `close()`.
   */
  store?: Store
  /** PostgreSQL URL. @default process.env.THREADLINE_DATABASE_URL ?? process.env.DATABASE_URL */
  databaseUrl?: string
  /** PGlite directory (or `'memory'`). @default '.threadline/data' */
  dataDir?: string
  /** Other store options (schema, pool size). @default {} */
  storeOptions?: Omit<StoreOptions, 'databaseUrl' | 'dataDir'>
  /**
   * Interface to listen on. Without API keys the server is local-only and refuses anything
   * but a loopback address.
   * @default '127.0.0.1'
   */
  host?: string
  /** Port; 0 picks a free one. 4318 is the OTLP/HTTP default, so SDKs find it unconfigured. @default 4318 */
  port?: number
  /** Max request body, after gzip is undone. @default 16777216 (16 MiB) */
  bodyLimit?: number
  /** Max events in one ingest request. @default 10000 */
  maxBatchEvents?: number
  /**
   * Events waiting for the database before ingest answers 503 with Retry-After (clients
   * retry; memory stays bounded).
   * @default 100000
   */
  maxQueuedEvents?: number
  /**
   * Ingest refuses events (per event, the rest of the batch is kept) whose timestamp is older
   * than this. The store partitions by day, so a client sending wild timestamps would otherwise
   * create a partition for every day it names. `Infinity` accepts any age.
   * @default 31536000000 (365 days)
   */
  maxEventAgeMs?: number
  /** Ingest refuses events timestamped further ahead of this server's clock than this. @default 86400000 (24 h) */
  maxEventAheadMs?: number
  /** Rows per database write; concurrent requests are grouped up to this. @default 5000 */
  writeBatchSize?: number
  /** Database writes in flight at once. @default 2 on PostgreSQL, 1 on PGlite */
  writeConcurrency?: number
  /** How long a verified API key is trusted before it is checked again. @default 30000 */
  keyCacheMs?: number
  /**
   * Where export jobs write their files (created 0600; the directory is made 0700).
   * @default a fresh private directory under os.tmpdir(), removed on close
   */
  exportDir?: string
  /** Export job files are deleted this long after they finish. @default 3600000 (1 h) */
  exportTtlMs?: number
  /**
   * Force local single-tenant mode (no keys checked) or multi-tenant mode. By default the
   * server is multi-tenant exactly when the store holds at least one live API key at start.
   */
  auth?: 'keys' | 'local'
  /**
   * Host names (any port, any case) answered besides `localhost`, `127.0.0.1` and `[::1]`.
   * In local mode every other `Host` is a 421, a guard against DNS rebinding; with keys the
   * check applies only when this is given. `threadline serve --allowed-hosts a,b`.
   * @default []
   */
  allowedHosts?: string[]
  /**
   * Web origins (`https://app.example.com`) allowed to call the API from a browser: answered
   * with CORS headers (`@fastify/cors`), preflights included. Any other cross-origin request
   * to `/api` or `/v1` is a 403. Off by default: only the console's own origin (and, in local
   * mode, loopback origins) may. `threadline serve --cors-origins a,b`.
   * @default []
   */
  corsOrigins?: string[]
  /**
   * Requests per key (per client address in local mode) in a time window, for ingest
   * (`/v1/*`) and for reads (`/api/*`) separately; past it, 429 with `Retry-After`. `false`
   * turns it off.
   * @default { ingest: { max: 6000, timeWindowMs: 60000 }, query: { max: 1200, timeWindowMs: 60000 } } with keys, false in local mode
   */
  rateLimit?: false | { ingest?: RateLimitWindow; query?: RateLimitWindow }
  /**
   * Serve the web console at `/` (its deep links answer index.html; the API stays under
   * `/api` and `/v1`). `threadline serve --no-console` turns it off.
   * @default true
   */
  console?: boolean
  /**
   * Directory of a built console (index.html and hashed files under `assets/`).
   * @default the `@threadline/console` package's build (`consoleRoot`)
   */
  consoleDir?: string
  /**
   * Secret that seals integration credentials (AES-256-GCM, key derived with HKDF-SHA256);
   * at least 32 characters of random data. Without one (nor `secretFile`), integrations
   * with credentials are refused (409 `no_secret`).
   * @default process.env.THREADLINE_SECRET
   */
  secret?: string
  /** File holding that secret (`threadline serve --secret-file`). @default undefined */
  secretFile?: string
  /**
   * Directory of the integrations' disk spools (one subdirectory per integration); set it
   * for spooled batches to survive a restart.
   * @default a fresh directory under os.tmpdir(), removed on close
   */
  spoolDir?: string
}

/** At most `max` requests in each `timeWindowMs`. */
export interface RateLimitWindow {
  max: number
  timeWindowMs: number
}
