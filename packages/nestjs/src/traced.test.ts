import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { Get } from '@nestjs/common'
import { createTestLogger } from '@threadline/test-utils'
import { Traced } from './traced.js'

describe('@Traced()', () => {
  it('runs each call in a span and keeps metadata of other decorators, in either order', async () => {
    const t = createTestLogger({ asDefault: true })
    try {
      class Ctl {
        @Traced()
        @Get('a')
        a(x: number) {
          return x * 2
        }
        @Get('b')
        @Traced('custom')
        async b() {
          return 'b'
        }
      }
      const c = new Ctl()
      expect(c.a(2)).toBe(4)
      expect(await c.b()).toBe('b')
      for (const [m, path] of [
        [Ctl.prototype.a, 'a'],
        [Ctl.prototype.b, 'b'],
      ] as const)
        expect(Reflect.getMetadata('path', m)).toBe(path)
      expect(Ctl.prototype.a.name).toBe('a')
      const spans = (await t.events()).filter((e) => e.kind === 'span')
      expect(spans.map((s) => s.name)).toEqual(['Ctl.a', 'custom'])
    } finally {
      t.restore()
    }
  })
})
