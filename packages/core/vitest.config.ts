import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@threadline/source'] },
  ssr: { resolve: { conditions: ['@threadline/source'] } },
  test: {
    name: 'core',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    restoreMocks: true,
    env: { THREADLINE_DIAG: 'off' },
  },
})
