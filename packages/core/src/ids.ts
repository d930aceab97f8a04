import { randomFillSync } from 'node:crypto'

/*
 * Ids come from a pooled random buffer: one randomFillSync per 4 KiB instead of
 * one randomBytes call per id (a 16-byte randomBytes costs ~3 µs on this class
 * of machine; a slice of the pool ~100 ns).
 */
const POOL_SIZE = 4096
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const at = offset
  offset += bytes
  return at
}

function randomHex(bytes: number): string {
  const at = take(bytes)
  return pool.toString('hex', at, at + bytes)
}

const ZERO_TRACE = '00000000000000000000000000000000'
const ZERO_SPAN = '0000000000000000'

/** A W3C trace id: 32 lowercase hex chars, never all zeros. */
export function newTraceId(): string {
  let id = randomHex(16)
  while (id === ZERO_TRACE) id = randomHex(16)
  return id
}

/** A W3C span id: 16 lowercase hex chars, never all zeros. */
export function newSpanId(): string {
  let id = randomHex(8)
  while (id === ZERO_SPAN) id = randomHex(8)
  return id
}

let lastMs = -1
let timeHex = ''
let seq = 0

/**
 * UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter seeded at
 * random each millisecond (method 1 of §6.2), then 62 random bits. Ids made in
 * one process sort in creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now
    timeHex = now.toString(16).padStart(12, '0')
    const at = take(2)
    seq = ((pool[at]! << 8) | pool[at + 1]!) & 0x7ff // leave headroom for increments
  } else {
    seq++
    if (seq > 0xfff) {
      // counter exhausted within this millisecond: borrow the next one
      lastMs++
      timeHex = lastMs.toString(16).padStart(12, '0')
      seq = 0
    }
  }
  const at = take(8)
  const variant = (pool[at]! & 0x3f) | 0x80
  const rand = pool.toString('hex', at + 1, at + 8) // 14 hex chars
  return (
    timeHex.slice(0, 8) +
    '-' +
    timeHex.slice(8, 12) +
    '-7' +
    seq.toString(16).padStart(3, '0') +
    '-' +
    variant.toString(16) +
    rand.slice(0, 2) +
    '-' +
    rand.slice(2, 14)
  )
}
