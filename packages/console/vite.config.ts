import { defineConfig } from 'vite'

// A static single-page app: hashed assets under /assets, no CDN, nothing fetched at run time.
// `THREADLINE_API=http://127.0.0.1:4318 vite` develops against a running `threadline serve`.
const api = process.env.THREADLINE_API ?? 'http://127.0.0.1:4318'
const proxy = Object.fromEntries(['/api', '/v1', '/healthz'].map((p) => [p, api]))

export default defineConfig({
  base: '/',
  server: { proxy },
  preview: { proxy },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
})
