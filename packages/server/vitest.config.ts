import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@threadline/source'] },
  ssr: { resolve: { conditions: ['@threadline/source'] } },
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    env: { THREADLINE_DIAG: 'off' },
    // PGlite starts in 2-4 s and bulk tests move 100k rows: generous, never timed assertions.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
