/** Injection token of the module options. */
export const THREADLINE_OPTIONS = Symbol.for('threadline.nestjs.options')
/** Injection token of the Threadline `Logger` (core) for providers: `@Inject(THREADLINE_LOGGER)`. */
export const THREADLINE_LOGGER = Symbol.for('threadline.nestjs.logger')
