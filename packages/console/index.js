// Where the built console lives, for servers that serve it (`threadline serve` does).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Absolute path of the built single-page app (index.html and hashed assets). */
export const consoleRoot = fileURLToPath(new URL('./dist/', import.meta.url))

/** Whether the console has been built (`pnpm build`); a source checkout may not have it yet. */
export function consoleBuilt() {
  return existsSync(new URL('./dist/index.html', import.meta.url))
}
