import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@threadline/source'] },
  ssr: { resolve: { conditions: ['@threadline/source'] } },
  test: { name: 'langchain-demo', include: ['src/**/*.test.ts'], env: { THREADLINE_DIAG: 'off' } },
})
