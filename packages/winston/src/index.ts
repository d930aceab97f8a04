export { ThreadlineTransport } from './transport.js'
export { threadlineContext } from './context.js'
export { DEFAULT_LEVELS } from './levels.js'
export type { ThreadlineTransportOptions, ThreadlineContextFormatOptions } from './types.js'
