import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@threadline/source'] },
  ssr: { resolve: { conditions: ['@threadline/source'] } },
  test: {
    name: 'langchain',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    env: { THREADLINE_DIAG: 'off' },
  },
})
