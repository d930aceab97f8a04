import { randomFillSync } from 'node:crypto'

/*
 * Ids are cut from a pooled random hex string: one randomFillSync and one hex
 * conversion per 4 KiB of randomness, then each id is a substring. A
 * `randomBytes(16).toString('hex')` per id costs ~3 µs here; a slice ~20 ns.
 */
const POOL_BYTES = 4096
const pool = Buffer.allocUnsafe(POOL_BYTES)
let hex = ''
let offset = POOL_BYTES * 2 // in hex chars

function randomHex(chars: number): string {
  if (offset + chars > hex.length) {
    randomFillSync(pool)
    hex = pool.toString('hex')
    offset = 0
  }
  const s = hex.slice(offset, offset + chars)
  offset += chars
  return s
}

const ZERO_TRACE = '00000000000000000000000000000000'
const ZERO_SPAN = '0000000000000000'

/** A W3C trace id: 32 lowercase hex chars, never all zeros. */
export function newTraceId(): string {
  let id = randomHex(32)
  while (id === ZERO_TRACE) id = randomHex(32)
  return id
}

/** A W3C span id: 16 lowercase hex chars, never all zeros. */
export function newSpanId(): string {
  let id = randomHex(16)
  while (id === ZERO_SPAN) id = randomHex(16)
  return id
}

const VARIANT = ['8', '9', 'a', 'b']
// lookup tables instead of number formatting and parsing per id
const HEX3: readonly string[] = Array.from({ length: 0x1000 }, (_, i) =>
  (i + 0x1000).toString(16).slice(1),
)
const VARIANT_OF: string[] = []
for (const c of '0123456789abcdef') VARIANT_OF[c.charCodeAt(0)] = VARIANT[parseInt(c, 16) & 3]!
let lastMs = -1
let prefix = '' // 'tttttttt-tttt-7'
let seq = 0

function setMillisecond(ms: number): void {
  lastMs = ms
  // the 48-bit timestamp as 12 hex digits, 12 bits at a time: 'aaabbbcc-cddd-7'
  const c = HEX3[Math.floor(ms / 0x1000) % 0x1000]!
  prefix =
    HEX3[Math.floor(ms / 0x1000000000) % 0x1000]! +
    HEX3[Math.floor(ms / 0x1000000) % 0x1000]! +
    c.slice(0, 2) +
    '-' +
    c[2]! +
    HEX3[ms % 0x1000]! +
    '-7'
}

/**
 * UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter seeded at
 * random each millisecond (method 1 of §6.2), then 62 random bits. Ids made in
 * one process sort in creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    setMillisecond(now)
    seq = parseInt(randomHex(3), 16) & 0x7ff // leave headroom for increments
  } else if (++seq > 0xfff) {
    // counter exhausted within this millisecond: borrow the next one
    setMillisecond(lastMs + 1)
    seq = 0
  }
  const r = randomHex(16)
  return (
    prefix + HEX3[seq] + '-' + VARIANT_OF[r.charCodeAt(0)] + r.slice(1, 4) + '-' + r.slice(4, 16)
  )
}
