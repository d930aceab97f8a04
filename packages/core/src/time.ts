/*
 * `new Date().toISOString()` costs ~600 ns. Events in the same millisecond share
 * one string, and a new millisecond in the same second only rewrites the last
 * four characters.
 */
let lastMs = -1
let lastSecond = -1
let secondPrefix = ''
let lastIso = ''

/** ISO-8601 UTC timestamp with milliseconds, cached per millisecond. */
export function isoNow(ms: number = Date.now()): string {
  if (ms === lastMs) return lastIso
  const second = Math.floor(ms / 1000)
  if (second !== lastSecond) {
    lastSecond = second
    secondPrefix = new Date(second * 1000).toISOString().slice(0, 20) // 'YYYY-MM-DDTHH:MM:SS.'
  }
  const milli = ms - second * 1000
  lastMs = ms
  lastIso = secondPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z'
  return lastIso
}
