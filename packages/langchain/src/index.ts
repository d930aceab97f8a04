export { ThreadlineCallbackHandler } from './handler.js'
export type * from './types.js'
