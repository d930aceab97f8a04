import { defineProject } from 'vitest/config'

// Unit tests of the console's pure modules; the views are tested in a real browser by
// packages/server/test/browser (they need a running server).
export default defineProject({
  test: {
    name: 'console',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
})
