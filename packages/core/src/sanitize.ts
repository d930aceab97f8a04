import { createHash } from 'node:crypto'
import { createValueScanner, SECRET_PATTERNS } from './patterns.js'
import type { PatternName, ValuePattern } from './patterns.js'
import type { Censor, ContentMode } from './types.js'

/**
 * Safe serialization and redaction in one walk. Every value a caller hands to
 * Threadline passes through here before it is queued: it is made JSON-safe,
 * capped and redacted, and either copied (the builder's path) or written
 * straight to JSON (the direct line's path, `jsonString` / `jsonAttribute`);
 * either way later mutation by the caller cannot change a queued event.
 * Options are compiled once.
 */

export interface RedactionOptions {
  /**
   * Keys censored at any depth, compared case-insensitively and ignoring `-`
   * and `_` (`apiKey`, `api_key` and `API-KEY` are one key). A key also matches
   * when it ends with one of these (`db_password`, `stripeSecretKey`).
   * @default DEFAULT_REDACT_KEYS
   */
  keys?: readonly string[]
  /** Keys added to `keys` (keeps the defaults). @default [] */
  extraKeys?: readonly string[]
  /**
   * pino-style paths (`user.password`, `headers["x-api-key"]`, `items[*].token`,
   * `*.secret`); `*` matches one level. A path whose first segment is not a
   * wire-schema field is matched under `attributes`. Compiled at setup; never
   * build paths from user input.
   * @default []
   */
  paths?: readonly string[]
  /**
   * Value patterns scanned in every string (message, attributes, error message
   * and stack). `false` turns scanning off.
   * @default SECRET_PATTERNS (all secret patterns; add 'email' and 'phone' for PII)
   */
  patterns?: readonly (PatternName | ValuePattern)[] | false
  /** Replacement for censored values, or a function of (value, path). @default '[REDACTED]' */
  censor?: Censor
  /** Remove censored keys instead of replacing their value. @default false */
  remove?: boolean
}

export interface LimitOptions {
  /** Nesting depth kept; deeper values become `'[Truncated: depth]'`. @default 8 */
  maxDepth?: number
  /** Characters kept of one string. @default 16384 */
  maxStringLength?: number
  /** Items kept of one array, Set or Map. @default 200 */
  maxArrayLength?: number
  /** Keys kept of one object. @default 200 */
  maxObjectKeys?: number
  /** Bytes of one event's JSON; larger events are shrunk, then dropped (`too_large`). @default 262144 */
  maxEventBytes?: number
  /** Characters kept of an error stack. @default 8192 */
  maxStackLength?: number
}

export interface ContentOptions {
  /**
   * What happens to prompts, completions, messages, tool arguments and results
   * and retrieved documents: `full` keeps them (after redaction), `truncate`
   * cuts strings to `maxChars`, `mask` also masks emails and phone numbers,
   * `hash` keeps only a SHA-256, `off` drops them.
   * @default 'full'
   */
  mode?: ContentMode
  /** Characters kept per string in `truncate` mode. @default 1000 */
  maxChars?: number
  /** Attribute keys treated as LLM content. @default CONTENT_KEYS */
  keys?: readonly string[]
}

export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'api_key',
  'apikey',
  'x-api-key',
  'access_key',
  'private_key',
  'client_secret',
  'credentials',
  'credential',
  'session_token',
  'x-auth-token',
  'connection_string',
  'dsn',
  'card_number',
  'cvv',
  'ssn',
]

/** Attribute keys that hold LLM content (governed by the content mode). */
export const CONTENT_KEYS: readonly string[] = [
  'input',
  'output',
  'prompt',
  'prompts',
  'completion',
  'completions',
  'messages',
  'documents',
  'tool_input',
  'tool_output',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
]

// keys that only match exactly (too short or too generic to match as a suffix)
const EXACT_ONLY = new Set(['pwd', 'dsn', 'cvv', 'ssn'])

const TRUNC_DEPTH = '[Truncated: depth]'
const CIRCULAR = '[Circular]'

function normKey(k: string): string {
  return k.toLowerCase().replace(/[-_\s.]/g, '')
}

interface KeyInfo {
  /** Censored by the key rules. */
  secret: boolean
  /** The key with value patterns applied (what a copy stores it under). */
  safe: string
  /** The key as JSON, with the colon: `"key":`. */
  json: string
  /** The same after a comma: `,"key":`. */
  jsonAfter: string
}

interface PathNode {
  children: Map<string, PathNode>
  wildcard?: PathNode
  terminal: boolean
}

function parsePath(path: string): string[] {
  const bad = (): never => {
    throw new TypeError(`threadline: bad redaction path ${JSON.stringify(path)}`)
  }
  const out: string[] = []
  let i = 0
  const n = path.length
  if (n === 0) bad()
  while (i < n) {
    if (path[i] === '[') {
      const q = path[i + 1]
      if (q === '"' || q === "'") {
        const end = path.indexOf(q + ']', i + 2)
        if (end < 0) bad()
        out.push(path.slice(i + 2, end))
        i = end + 2
      } else {
        const end = path.indexOf(']', i + 1)
        if (end < 0) bad()
        const seg = path.slice(i + 1, end)
        if (seg !== '*' && !/^\d+$/.test(seg)) bad()
        out.push(seg)
        i = end + 1
      }
    } else {
      let j = i
      while (j < n && path[j] !== '.' && path[j] !== '[') j++
      if (j === i) bad()
      const seg = path.slice(i, j)
      if (seg.includes(']')) bad()
      out.push(seg)
      i = j
    }
    if (i < n) {
      if (path[i] === '.') {
        i++
        if (i >= n || path[i] === '.' || path[i] === '[') bad()
      } else if (path[i] !== '[') bad()
    }
  }
  return out
}

/** Top-level wire fields; a redaction path starting elsewhere is matched under `attributes`. */
export const WIRE_FIELDS = new Set([
  'id',
  'kind',
  'timestamp',
  'level',
  'message',
  'service',
  'environment',
  'service_version',
  'category',
  'event',
  'trace_id',
  'span_id',
  'parent_span_id',
  'trace_flags',
  'request_id',
  'org_id',
  'user_id',
  'session_id',
  'resource_type',
  'resource_id',
  'action',
  'duration_ms',
  'cost_usd',
  'http',
  'llm',
  'error',
  'attributes',
  'tags',
  'name',
  'span_kind',
  'status',
])

function censorAt(
  obj: Record<string, unknown>,
  segs: readonly string[],
  i: number,
  path: string[],
  censor: (v: unknown, p: readonly string[]) => unknown,
  remove: boolean,
): void {
  const seg = segs[i]!
  const keys =
    seg === '*' ? Object.keys(obj) : Object.prototype.hasOwnProperty.call(obj, seg) ? [seg] : []
  for (const k of keys) {
    path.push(k)
    if (i === segs.length - 1) {
      if (remove) delete obj[k]
      else obj[k] = censor(obj[k], path.slice())
    } else {
      const next = obj[k]
      if (next && typeof next === 'object')
        censorAt(next as Record<string, unknown>, segs, i + 1, path, censor, remove)
    }
    path.pop()
  }
}

function buildTrie(paths: readonly string[]): PathNode | undefined {
  if (paths.length === 0) return undefined
  const root: PathNode = { children: new Map(), terminal: false }
  for (const p of paths) {
    let segs = parsePath(p)
    if (!WIRE_FIELDS.has(segs[0]!)) segs = ['attributes', ...segs]
    let node = root
    for (const s of segs) {
      if (s === '*') node = node.wildcard ??= { children: new Map(), terminal: false }
      else {
        let next = node.children.get(s)
        if (!next) node.children.set(s, (next = { children: new Map(), terminal: false }))
        node = next
      }
    }
    node.terminal = true
  }
  return root
}

export interface Sanitizer {
  /** Sanitize an attributes object (content keys at its top level follow the content mode). */
  attributes(attrs: Record<string, unknown>, contentMode?: ContentMode): Record<string, unknown>
  /** Sanitize one attribute straight into `out` (what `attributes` does per key; the caller caps the count). */
  attribute(
    out: Record<string, unknown>,
    key: string,
    value: unknown,
    contentMode?: ContentMode,
  ): void
  /** Redact patterns in a string and cap its length. */
  string(s: string, max?: number): string
  /** Apply path rules that name wire fields (`http.user_agent`, `llm.model`) to a built event, in place. */
  wireFields(event: object): void
  /** Whether a key is censored by the key rules. */
  isSecretKey(key: string): boolean
  readonly limits: Required<LimitOptions>
  readonly contentMode: ContentMode
  readonly censorValue: (value: unknown, path: readonly string[]) => unknown
  /**
   * @internal True when these options can serialize straight to JSON (no
   * redaction paths, a string censor): `jsonString` and `jsonAttribute` then
   * give the same bytes as sanitizing a copy and serializing it.
   */
  readonly direct?: boolean
  /** @internal `string(s, max)` as a JSON string literal, escaped as `serializeEvent` does. */
  jsonString?(s: string, max?: number): string
  /**
   * @internal One attribute as `"key":value` JSON (comma first unless `first`),
   * what `attribute()` would store, serialized: `''` when the key is kept with
   * no value (serialized as nothing), `null` when it is removed, `undefined`
   * when only the copying walk can say (the caller then builds the whole event
   * that way).
   */
  jsonAttribute?(
    key: string,
    value: unknown,
    contentMode: ContentMode,
    first: boolean,
  ): string | null | undefined
}

/** Characters `JSON.stringify` leaves raw that break lines or terminals; escaped in every line. */
export const UNSAFE_JSON = /[\u007f-\u009f\u2028\u2029]/
const UNSAFE_JSON_G = /[\u007f-\u009f\u2028\u2029]/g
const escapeChar = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')

/** JSON text made safe for one line: the unsafe characters (only ever inside strings) escaped. */
export function safeJson(json: string): string {
  return UNSAFE_JSON.test(json) ? json.replace(UNSAFE_JSON_G, escapeChar) : json
}

/** A JSON string literal, escaped as every event line is. */
export function quoteJson(s: string): string {
  return safeJson(JSON.stringify(s))
}

/** Thrown inside the JSON walk when only the copying walk gives the exact bytes. */
const NOT_DIRECT: unique symbol = Symbol('threadline.not-direct')

export interface SanitizerOptions {
  redact?: RedactionOptions | false
  limits?: LimitOptions
  content?: ContentOptions
}

export function createSanitizer(options: SanitizerOptions = {}): Sanitizer {
  const { redact = {}, limits = {}, content = {} } = options
  const {
    maxDepth = 8,
    maxStringLength = 16_384,
    maxArrayLength = 200,
    maxObjectKeys = 200,
    maxEventBytes = 262_144,
    maxStackLength = 8192,
  } = limits
  for (const [k, v] of Object.entries({
    maxDepth,
    maxStringLength,
    maxArrayLength,
    maxObjectKeys,
    maxEventBytes,
    maxStackLength,
  })) {
    if (!Number.isInteger(v) || v < 1)
      throw new TypeError(`threadline: limits.${k} must be a positive integer, got ${String(v)}`)
  }
  const {
    mode: defaultContentMode = 'full',
    maxChars = 1000,
    keys: contentKeyList = CONTENT_KEYS,
  } = content
  const contentKeys = new Set(contentKeyList)

  const enabled = redact !== false
  const r: RedactionOptions = redact === false ? {} : redact
  const {
    keys = DEFAULT_REDACT_KEYS,
    extraKeys = [],
    paths = [],
    patterns = SECRET_PATTERNS,
    censor = '[REDACTED]',
    remove = false,
  } = r
  if (typeof censor !== 'string' && typeof censor !== 'function') {
    throw new TypeError('threadline: redact.censor must be a string or a function')
  }
  const exact = new Set<string>()
  const suffixes: string[] = []
  if (enabled) {
    for (const k of [...keys, ...extraKeys]) {
      const n = normKey(k)
      if (!n) continue
      exact.add(n)
      if (!EXACT_ONLY.has(k.toLowerCase()) && n.length >= 4) suffixes.push(n)
    }
  }
  // per key: is it a secret key, and the key itself with value patterns applied
  const keyCache = new Map<string, KeyInfo>()
  function keyInfo(key: string): KeyInfo {
    const hit = keyCache.get(key)
    if (hit !== undefined) return hit
    const n = normKey(key)
    let secret = exact.has(n)
    if (!secret)
      for (const s of suffixes)
        if (n.endsWith(s)) {
          secret = true
          break
        }
    const info: KeyInfo = {
      secret,
      safe: scan && key.length > 5 ? scan(key.length > 1024 ? key.slice(0, 1024) : key) : key,
      json: quoteJson(key) + ':',
      jsonAfter: ',' + quoteJson(key) + ':',
    }
    if (keyCache.size > 10_000) keyCache.clear()
    keyCache.set(key, info)
    return info
  }
  const isSecretKey = (key: string): boolean => keyInfo(key).secret
  const trie = enabled ? buildTrie(paths) : undefined
  const wirePaths = enabled
    ? paths
        .map(parsePath)
        .filter((segs) => segs[0] !== 'attributes' && WIRE_FIELDS.has(segs[0]!) && segs.length > 0)
    : []
  const censorString = typeof censor === 'string' ? censor : '[REDACTED]'
  const scan =
    enabled && patterns !== false && patterns.length > 0
      ? createValueScanner(patterns, censorString)
      : undefined
  const piiScan = createValueScanner(
    ['email', 'phone', ...(patterns === false ? [] : patterns)],
    censorString,
  )
  const censorValue =
    typeof censor === 'function'
      ? (v: unknown, p: readonly string[]): unknown => {
          try {
            return censor(v, p)
          } catch {
            return censorString
          }
        }
      : (): unknown => censor

  // Log values repeat (models, routes, templates, tenant ids): remember what the
  // scanner said about short strings instead of scanning them again.
  // Two generations: when the young one fills up it becomes the old one, so a
  // stream of unique ids cannot flush out the values that keep coming back.
  let young = new Map<string, string>()
  let old = new Map<string, string>()
  function scanned(s: string): string {
    if (!scan || s.length < 6) return s
    if (s.length > 256) return scan(s)
    let r = young.get(s)
    if (r !== undefined) return r
    r = old.get(s) ?? scan(s)
    if (young.size >= 4096) {
      old = young
      young = new Map()
    }
    young.set(s, r)
    return r
  }

  const attrNodes = nextNodes(trie ? [trie] : undefined, 'attributes')

  function str(s: string, max: number = maxStringLength): string {
    if (s.length > max) s = s.slice(0, max) + `…[truncated ${s.length - max} chars]`
    return scanned(s)
  }

  // ancestors of the value being walked, for cycle detection
  const stack: unknown[] = []
  const path: string[] = ['attributes']

  function walk(v: unknown, depth: number, nodes: PathNode[] | undefined): unknown {
    switch (typeof v) {
      case 'string':
        return str(v)
      case 'number':
        return Number.isFinite(v) ? v : String(v)
      case 'boolean':
        return v
      case 'bigint':
        return v.toString()
      case 'undefined':
        return undefined
      case 'symbol':
        return v.toString()
      case 'function':
        return `[Function${v.name ? ' ' + v.name : ''}]`
    }
    if (v === null) return null
    try {
      return walkRef(v as object, depth, nodes)
    } catch (err) {
      // revoked proxies and exotic objects that throw on inspection
      return `[Unreadable: ${errText(err)}]`
    }
  }

  function walkRef(o: object, depth: number, nodes: PathNode[] | undefined): unknown {
    if (stack.includes(o)) return CIRCULAR
    if (depth >= maxDepth) return TRUNC_DEPTH
    // fast path for the common shapes: plain objects (no toJSON) and arrays
    const proto = Object.getPrototypeOf(o)
    if (
      (proto === Object.prototype || proto === null) &&
      typeof (o as { toJSON?: unknown }).toJSON !== 'function'
    ) {
      stack.push(o)
      try {
        return walkObject(o, depth, nodes)
      } finally {
        stack.pop()
      }
    }
    if (proto === Array.prototype) {
      stack.push(o)
      try {
        return walkList(o as unknown[], (o as unknown[]).length, depth, nodes)
      } finally {
        stack.pop()
      }
    }
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString()
    if (ArrayBuffer.isView(o))
      return describeBytes(
        o.constructor.name,
        o.byteLength,
        new Uint8Array(o.buffer, o.byteOffset, Math.min(o.byteLength, 32)),
      )
    if (o instanceof ArrayBuffer)
      return describeBytes(
        'ArrayBuffer',
        o.byteLength,
        new Uint8Array(o, 0, Math.min(o.byteLength, 32)),
      )
    stack.push(o)
    try {
      if (Array.isArray(o)) return walkList(o, o.length, depth, nodes)
      if (o instanceof Set)
        return walkList(Array.from(take(o.values(), maxArrayLength + 1)), o.size, depth, nodes)
      if (o instanceof Map) return walkMap(o, depth, nodes)
      if (o instanceof Error) return walkError(o, depth, nodes)
      if (typeof (o as { toJSON?: unknown }).toJSON === 'function' && !(o instanceof Promise)) {
        let j: unknown
        try {
          j = (o as { toJSON: () => unknown }).toJSON()
        } catch (err) {
          return `[Throws: ${errText(err)}]`
        }
        if (j !== o)
          return typeof j === 'object' && j !== null
            ? walkObject(j, depth, nodes)
            : walk(j, depth, nodes)
      }
      if (o instanceof Promise) return '[Promise]'
      if (o instanceof WeakMap || o instanceof WeakSet) return `[${o.constructor.name}]`
      return walkObject(o, depth, nodes)
    } finally {
      stack.pop()
    }
  }

  function nextNodes(nodes: PathNode[] | undefined, key: string): PathNode[] | undefined {
    if (!nodes) return undefined
    let out: PathNode[] | undefined
    for (const n of nodes) {
      const c = n.children.get(key)
      if (c) (out ??= []).push(c)
      if (n.wildcard) (out ??= []).push(n.wildcard)
    }
    return out
  }

  function walkObject(
    o: object,
    depth: number,
    nodes: PathNode[] | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    let n = 0
    let keys: string[]
    try {
      keys = Object.keys(o)
    } catch (err) {
      return { '[Throws]': errText(err) }
    }
    for (const k of keys) {
      if (n >= maxObjectKeys) {
        out['…'] = `[truncated ${keys.length - n} keys]`
        break
      }
      let v: unknown
      try {
        v = (o as Record<string, unknown>)[k]
      } catch (err) {
        v = `[Throws: ${errText(err)}]`
      }
      if (v === undefined) continue
      n++
      put(out, k, v, depth, nodes)
    }
    return out
  }

  function put(
    out: Record<string, unknown>,
    k: string,
    v: unknown,
    depth: number,
    nodes: PathNode[] | undefined,
  ): void {
    const next = nextNodes(nodes, k)
    path.push(k)
    try {
      const info = enabled ? keyInfo(k) : undefined
      if (info?.secret || (next !== undefined && next.some((x) => x.terminal))) {
        if (!remove) out[k] = censorValue(v, path.slice())
        return
      }
      out[info ? info.safe : k] = walk(v, depth + 1, next)
    } finally {
      path.pop()
    }
  }

  function walkList(
    items: unknown[],
    size: number,
    depth: number,
    nodes: PathNode[] | undefined,
  ): unknown[] {
    const len = Math.min(items.length, maxArrayLength)
    const out = new Array<unknown>(len)
    for (let i = 0; i < len; i++) {
      const next = nextNodes(nodes, String(i))
      if (next !== undefined && next.some((x) => x.terminal)) {
        path.push(String(i))
        out[i] = censorValue(items[i], path.slice())
        path.pop()
        continue
      }
      const w = walk(items[i], depth + 1, next)
      out[i] = w === undefined ? null : w
    }
    if (size > len) out.push(`[… ${size - len} more items]`)
    return out
  }

  function walkMap(
    m: Map<unknown, unknown>,
    depth: number,
    nodes: PathNode[] | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    let n = 0
    for (const [k, v] of m) {
      if (n++ >= maxArrayLength) {
        out['…'] = `[truncated ${m.size - maxArrayLength} entries]`
        break
      }
      put(out, typeof k === 'string' ? k : String(walk(k, depth + 1, undefined)), v, depth, nodes)
    }
    return out
  }

  function walkError(
    e: Error,
    depth: number,
    nodes: PathNode[] | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: safeName(e),
      message: str(String(e.message ?? ''), maxStringLength),
    }
    if (typeof e.stack === 'string') out['stack'] = str(e.stack, maxStackLength)
    for (const k of Object.keys(e)) {
      if (k === 'message' || k === 'stack' || k === 'cause') continue
      let v: unknown
      try {
        v = (e as unknown as Record<string, unknown>)[k]
      } catch {
        continue
      }
      if (v !== undefined) put(out, k, v, depth, nodes)
    }
    if ('cause' in e && e.cause !== undefined) put(out, 'cause', e.cause, depth, nodes)
    return out
  }

  // ---- the same walk, writing JSON instead of a copy ----
  //
  // It appends to `out` the pieces of exactly `safeJson(JSON.stringify(walk(v)))`
  // (nothing where that would be omitted), reading the value the same way in the
  // same order; the caller joins the pieces once. Where the copy's key order or
  // key set is not plain (a key renamed by a value pattern, `__proto__`, the `…`
  // truncation key) it throws NOT_DIRECT and the caller builds the event by
  // copying instead. Objects that are neither plain nor arrays (Date, Map, Error,
  // toJSON, ...) are copied by `walkRef` and that copy serialized: rare, and
  // identical by construction.

  const direct = trie === undefined && wirePaths.length === 0 && typeof censor === 'string'
  const censorJson = quoteJson(censorString)

  // JSON of short strings, remembered like `scanned` (two generations).
  let qYoung = new Map<string, string>()
  let qOld = new Map<string, string>()
  function jsonStr(s: string, max: number = maxStringLength): string {
    if (s.length > max) s = s.slice(0, max) + `…[truncated ${s.length - max} chars]`
    if (s.length > 256) return quoteJson(scanned(s))
    let q = qYoung.get(s)
    if (q !== undefined) return q
    q = qOld.get(s) ?? quoteJson(scanned(s))
    if (qYoung.size >= 4096) {
      qOld = qYoung
      qYoung = new Map()
    }
    qYoung.set(s, q)
    return q
  }

  /** The JSON of `walk(v, depth)`; undefined where the copy would omit it. */
  function walkJson(v: unknown, depth: number): string | undefined {
    switch (typeof v) {
      case 'string':
        return jsonStr(v)
      case 'number':
        return Number.isFinite(v) ? String(v) : '"' + String(v) + '"'
      case 'boolean':
        return v ? 'true' : 'false'
      case 'bigint':
        return '"' + v.toString() + '"'
      case 'undefined':
        return undefined
      case 'symbol':
        return quoteJson(v.toString())
      case 'function':
        return quoteJson(`[Function${v.name ? ' ' + v.name : ''}]`)
    }
    if (v === null) return 'null'
    try {
      return walkRefJson(v as object, depth)
    } catch (err) {
      if (err === NOT_DIRECT) throw err
      return quoteJson(`[Unreadable: ${errText(err)}]`)
    }
  }

  function walkRefJson(o: object, depth: number): string | undefined {
    if (stack.includes(o)) return '"' + CIRCULAR + '"'
    if (depth >= maxDepth) return '"' + TRUNC_DEPTH + '"'
    const proto = Object.getPrototypeOf(o)
    if (
      (proto === Object.prototype || proto === null) &&
      typeof (o as { toJSON?: unknown }).toJSON !== 'function'
    ) {
      stack.push(o)
      try {
        return walkObjectJson(o, depth)
      } finally {
        stack.pop()
      }
    }
    if (proto === Array.prototype) {
      stack.push(o)
      try {
        return walkListJson(o as unknown[], depth)
      } finally {
        stack.pop()
      }
    }
    const copy = walkRef(o, depth, undefined)
    return copy === undefined ? undefined : safeJson(JSON.stringify(copy))
  }

  function walkObjectJson(o: object, depth: number): string {
    let keys: string[]
    try {
      keys = Object.keys(o)
    } catch (err) {
      return '{"[Throws]":' + quoteJson(errText(err)) + '}'
    }
    let out = '{'
    let n = 0
    for (const k of keys) {
      if (n >= maxObjectKeys) {
        out += (out.length > 1 ? ',"…":"' : '"…":"') + `[truncated ${keys.length - n} keys]"`
        break
      }
      let v: unknown
      try {
        v = (o as Record<string, unknown>)[k]
      } catch (err) {
        v = `[Throws: ${errText(err)}]`
      }
      if (v === undefined) continue
      n++
      const m = memberJson(k, v, depth, out.length === 1)
      if (m !== undefined) out += m
    }
    return out + '}'
  }

  /** `put(out, k, v, depth)` as JSON: `"k":value` (comma first unless `first`), undefined for nothing. */
  function memberJson(k: string, v: unknown, depth: number, first: boolean): string | undefined {
    if (k === '__proto__' || k === '…') throw NOT_DIRECT
    const info = keyInfo(k)
    if (info.secret) return remove ? undefined : (first ? info.json : info.jsonAfter) + censorJson
    if (info.safe !== k) throw NOT_DIRECT
    const w = walkJson(v, depth + 1)
    return w === undefined ? undefined : (first ? info.json : info.jsonAfter) + w
  }

  function walkListJson(items: unknown[], depth: number): string {
    const size = items.length
    const len = Math.min(size, maxArrayLength)
    let out = '['
    for (let i = 0; i < len; i++) {
      const w = walkJson(items[i], depth + 1)
      out += (i > 0 ? ',' : '') + (w === undefined ? 'null' : w)
    }
    if (size > len) out += `${len > 0 ? ',' : ''}"[… ${size - len} more items]"`
    return out + ']'
  }

  function applyContent(v: unknown, mode: ContentMode, key: string): unknown {
    switch (mode) {
      case 'off':
        return undefined
      case 'hash': {
        let text: string
        try {
          text = typeof v === 'string' ? v : (JSON.stringify(v) ?? '')
        } catch {
          text = String(v)
        }
        return 'sha256:' + createHash('sha256').update(text).digest('hex')
      }
      case 'truncate':
        return mapStrings(walk(v, 1, undefined), (s) =>
          s.length > maxChars
            ? s.slice(0, maxChars) + `…[truncated ${s.length - maxChars} chars]`
            : s,
        )
      case 'mask':
        return mapStrings(walk(v, 1, undefined), piiScan)
      default:
        path.push(key)
        try {
          return walk(v, 1, undefined)
        } finally {
          path.pop()
        }
    }
  }

  return {
    limits: {
      maxDepth,
      maxStringLength,
      maxArrayLength,
      maxObjectKeys,
      maxEventBytes,
      maxStackLength,
    },
    contentMode: defaultContentMode,
    censorValue,
    isSecretKey,
    string: str,
    direct,
    jsonString: jsonStr,
    jsonAttribute(k, v, contentMode, first) {
      if (contentMode !== 'full' && contentKeys.has(k) && !(enabled && isSecretKey(k)))
        return undefined
      if (stack.length !== 0) stack.length = 0
      try {
        const m = memberJson(k, v, 0, first)
        return m !== undefined ? m : keyInfo(k).secret ? null : ''
      } catch (err) {
        stack.length = 0
        if (err === NOT_DIRECT) return undefined
        throw err
      }
    },
    wireFields(event) {
      for (const segs of wirePaths)
        censorAt(event as Record<string, unknown>, segs, 0, [], censorValue, remove)
    },
    attribute(out, k, v, contentMode = defaultContentMode) {
      if (v === undefined) return
      // the walk keeps both balanced; reset only after an exception left them dirty
      if (path.length !== 1) {
        path.length = 0
        path.push('attributes')
      }
      if (stack.length !== 0) stack.length = 0
      if (contentMode !== 'full' && contentKeys.has(k) && !(enabled && isSecretKey(k))) {
        const c = applyContent(v, contentMode, k)
        if (c !== undefined) out[k] = c
        else delete out[k]
        return
      }
      put(out, k, v, 0, attrNodes)
    },
    attributes(attrs, contentMode = defaultContentMode) {
      const out: Record<string, unknown> = {}
      let n = 0
      for (const k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === undefined) continue
        if (n++ >= maxObjectKeys) {
          out['…'] = `[truncated keys]`
          break
        }
        this.attribute(out, k, attrs[k], contentMode)
      }
      return out
    },
  }
}

function* take<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const r = it.next()
    if (r.done) return
    yield r.value
  }
}

function describeBytes(type: string, length: number, head: Uint8Array): string {
  return `[${type} ${length} bytes${length ? ' ' + Buffer.from(head).toString('hex') + (length > head.length ? '…' : '') : ''}]`
}

function safeName(e: Error): string {
  try {
    const n = e.name || e.constructor?.name
    return typeof n === 'string' && n ? n : 'Error'
  } catch {
    return 'Error'
  }
}

function errText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err)
  } catch {
    return 'unknown'
  }
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v)
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f))
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, f)
    return out
  }
  return v
}
