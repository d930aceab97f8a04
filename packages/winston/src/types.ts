import type { Level, Logger } from '@threadline/core'
import type TransportStream from 'winston-transport'

/** Options of `new ThreadlineTransport()`. */
export interface ThreadlineTransportOptions extends Omit<
  TransportStream.TransportStreamOptions,
  'log' | 'logv' | 'close'
> {
  /** Where events go. Resolved on every log call, so `setDefaultLogger()` later still applies. @default getLogger() */
  logger?: Logger
  /**
   * Winston level name -> Threadline level, merged over the built-in mapping
   * (npm, syslog and cli levels; see the README). Unknown names fall back to
   * core's aliases (`fatal`, `critical`, `trace`, ...), then `info`.
   * @default {}
   */
  levels?: Readonly<Record<string, Level>>
  /**
   * Interpolate `%s`-style tokens still present in the message with the splat
   * arguments (what `format.splat()` does), for loggers without `format.splat()`.
   * Turn off if interpolated values may themselves contain `%` tokens.
   * @default true
   */
  splat?: boolean
}

/** Options of `threadlineContext()`. */
export interface ThreadlineContextFormatOptions {
  /** Key of the trace id on the info object. @default 'trace_id' */
  traceIdKey?: string
  /** Key of the span id on the info object. @default 'span_id' */
  spanIdKey?: string
  /** Key of the request id on the info object. @default 'request_id' */
  requestIdKey?: string
}
