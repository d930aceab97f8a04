import { traced } from '@threadline/core'
import type { TracedOptions } from '@threadline/core'

type Meta = typeof Reflect & {
  getOwnMetadataKeys?(target: object): unknown[]
  getOwnMetadata?(key: unknown, target: object): unknown
  defineMetadata?(key: unknown, value: unknown, target: object): void
}

/**
 * Method decorator for providers and controllers: each call runs in a span
 * named `Class.method` (or `name`) on the default logger, a child of the
 * request's span. Metadata other decorators put on the method (`@Get()`,
 * `@UseGuards()`, ...) is kept, in whichever order they are applied.
 */
export function Traced(nameOrOptions?: string | TracedOptions): MethodDecorator {
  const decorate = traced(nameOrOptions) as MethodDecorator
  return (target, key, descriptor) => {
    const original: unknown = descriptor.value
    const result = (decorate(target, key, descriptor) ?? descriptor) as typeof descriptor
    const wrapped: unknown = result.value
    const R = Reflect as Meta
    if (typeof original === 'function' && typeof wrapped === 'function' && R.getOwnMetadataKeys) {
      for (const k of R.getOwnMetadataKeys(original))
        R.defineMetadata!(k, R.getOwnMetadata!(k, original), wrapped)
      Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true })
    }
    return result
  }
}
