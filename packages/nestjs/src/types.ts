import type { HttpServerMetrics, HttpServerOptions } from '@threadline/core'

/**
 * Options of `ThreadlineModule.forRoot()`: the shared HTTP options of core
 * (`skip`, `headers`, `logBody`, `getUser`, `attributes`, `level`, `metrics`,
 * `requestIdHeader`, `echoHeaders`, `logger`), plus the Nest-specific ones.
 * Hooks receive the platform's request and response: Express `req`/`res`, or
 * Fastify `request`/`reply`.
 */
export interface ThreadlineModuleOptions extends Omit<HttpServerOptions<any, any>, 'metrics'> {
  /**
   * Request metrics. `true` records into the process-wide recorder
   * (`defaultHttpMetrics()` of `@threadline/core/metrics`), served at
   * `metricsPath`; pass your own `prometheusHttpMetrics()` (or any
   * `HttpServerMetrics`), or `false` for none.
   * @default true
   */
  metrics?: HttpServerMetrics | boolean
  /**
   * Where the Prometheus registry of `metrics` is served (when `metrics` has a
   * `registry`, as `prometheusHttpMetrics()` does); `false` serves nothing.
   * @default '/metrics'
   */
  metricsPath?: string | false
}

/** Options of `ThreadlineModule.forRootAsync()`. */
export interface ThreadlineModuleAsyncOptions {
  /** Modules that export the providers `inject` names. @default [] */
  imports?: any[]
  /** Providers passed to `useFactory`. @default [] */
  inject?: any[]
  /** Builds the options (may be async). */
  useFactory: (...args: any[]) => ThreadlineModuleOptions | Promise<ThreadlineModuleOptions>
}
