export type * from './types.js'
export { ThreadlineModule } from './module.js'
export { ThreadlineLogger } from './logger.js'
export { ThreadlineExceptionFilter } from './filter.js'
export { Traced } from './traced.js'
export { THREADLINE_LOGGER, THREADLINE_OPTIONS } from './tokens.js'
export {
  instrumentFetch,
  traceHeaders,
  getContext,
  withBindings,
  setBindings,
} from '@threadline/core'
