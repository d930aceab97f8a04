/**
 * Value-based redaction: finds secrets and PII inside string values (API keys,
 * tokens, private keys, credentials in URLs, card numbers, emails, phone
 * numbers) and replaces them with a censor string. Every regex here is linear
 * on adversarial input: each one starts with a literal or is guarded by a
 * negative lookbehind on its own leading character class, and no repeated group
 * can split the same text in more than one way.
 */

export type PatternName =
  | 'openai_key'
  | 'anthropic_key'
  | 'aws_access_key'
  | 'github_token'
  | 'slack_token'
  | 'jwt'
  | 'bearer'
  | 'basic_auth'
  | 'private_key'
  | 'url_credentials'
  | 'query_secret'
  | 'email'
  | 'phone'
  | 'card_number'

/** A value pattern: every match of `regex` (made global if needed) is censored. */
export interface ValuePattern {
  name: string
  regex: RegExp
  /** Optional extra check on the matched text, e.g. Luhn. */
  validate?: (match: string) => boolean
  /** Replace only part of the match (e.g. keep "Bearer "): returns the replacement for the whole match. */
  replace?: (match: string, censor: string) => string
}

/** Every built-in pattern, in declaration order. */
export const ALL_PATTERNS: readonly PatternName[] = Object.freeze([
  'openai_key',
  'anthropic_key',
  'aws_access_key',
  'github_token',
  'slack_token',
  'jwt',
  'bearer',
  'basic_auth',
  'private_key',
  'url_credentials',
  'query_secret',
  'email',
  'phone',
  'card_number',
] as const)

/** The default-on set: every built-in except the PII-only `email` and `phone`. */
export const SECRET_PATTERNS: readonly PatternName[] = Object.freeze(
  ALL_PATTERNS.filter((n) => n !== 'email' && n !== 'phone'),
)

/**
 * Luhn checksum over 13-19 digits. Spaces and dashes are ignored; any other
 * character makes the input invalid.
 */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let count = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    const c = digits.charCodeAt(i)
    if (c === 32 || c === 45) continue
    if (c < 48 || c > 57) return false
    let d = c - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
    count++
  }
  return count >= 13 && count <= 19 && sum % 10 === 0
}

interface BuiltinDef {
  readonly source: string
  readonly flags: string
  readonly minLength: number
  readonly gate?: (value: string) => boolean
  readonly validate?: (match: string) => boolean
  readonly replace?: (match: string, censor: string) => string
}

const TOKEN_START = '(?<![A-Za-z0-9_-])'
const PEM_LABEL = '[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----'
const PHONE_SOURCE = [
  '(?<![\\w+./-])(?:',
  '\\+[1-9]\\d{7,14}',
  '|\\+[1-9]\\d{0,2}(?:[ .-]?\\(\\d{1,4}\\)\\d{0,4}|[ .-]\\d{1,10})(?:[ .-]\\d{1,10}){0,5}',
  '|\\(\\d{3}\\) ?\\d{3}[ .-]\\d{4}',
  '|(?:1-)?\\d{3}-\\d{3}-\\d{4}',
  '|(?:1\\.)?\\d{3}\\.\\d{3}\\.\\d{4}',
  ')(?![\\w+]|[.-]\\d)',
].join('')

const HAS_DIGIT = /\d/
const HAS_TWO_DIGITS = /\d\d/
const HAS_FOUR_DIGITS = /\d{4}/
const HAS_BEARER = /bearer/i
const HAS_BASIC = /basic/i
const HAS_AWS_PREFIX = /AKIA|ASIA|ABIA|ACCA|A3T/
const CARD_SEPARATOR = /[ -]/
const TRAILING_PADDING = /={1,2}$/

function schemeEnd(match: string, schemeLength: number): number {
  let i = schemeLength
  while (match.charCodeAt(i) === 32 || match.charCodeAt(i) === 9) i++
  return i
}

function countDigits(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

function isBasicCredential(match: string): boolean {
  let token = match.slice(schemeEnd(match, 5))
  if (token.length % 4 === 0) token = token.replace(TRAILING_PADDING, '')
  if (token.length % 4 === 1 || token.includes('=')) return false
  try {
    return atob(token).includes(':')
  } catch {
    return false
  }
}

function isBearerCredential(match: string): boolean {
  const token = match.slice(schemeEnd(match, 6))
  return token.length >= 32 || HAS_DIGIT.test(token)
}

/**
 * Censors the longest run of whole digit groups (earliest first) that has 13-19
 * digits and passes Luhn, so a trailing CVV or a leading unrelated group in the
 * same match does not hide a real card number.
 */
function redactCard(match: string, censor: string): string {
  const parts = match.split(CARD_SEPARATOR)
  const starts: number[] = []
  let pos = 0
  for (const part of parts) {
    starts.push(pos)
    pos += part.length + 1
  }
  for (let i = 0; i < parts.length; i++) {
    for (let j = parts.length; j > i; j--) {
      const digits = parts.slice(i, j).join('')
      if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) continue
      const from = starts[i] ?? 0
      const to = (starts[j - 1] ?? 0) + (parts[j - 1]?.length ?? 0)
      return match.slice(0, from) + censor + match.slice(to)
    }
  }
  return match
}

/**
 * For each built-in, a regex source that every match must contain (a superset
 * of its gate). Joined into one case-insensitive test, it lets most strings
 * leave the scanner after a single regex run.
 */
const HINTS: Record<PatternName, string> = {
  private_key: 'PRIVATE KEY',
  url_credentials: ':\\/\\/',
  query_secret: '=',
  anthropic_key: 'sk-ant-',
  openai_key: 'sk-',
  aws_access_key: 'AKIA|ASIA|ABIA|ACCA|A3T',
  github_token: 'gh[pousr]_|github_pat_',
  slack_token: 'xox|xapp',
  bearer: 'bearer',
  basic_auth: 'basic',
  jwt: 'eyJ',
  card_number: '\\d{4}',
  email: '@',
  phone: '\\d\\d',
}

/** Query parameter names whose values are credentials (`?access_token=...`). */
const QUERY_SECRET_KEYS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'secret',
  'client_secret',
  'password',
  'passwd',
  'pwd',
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-goog-signature',
  'auth',
  'code',
].join('|')

const DEFS: Record<PatternName, BuiltinDef> = {
  private_key: {
    source: `-----BEGIN${PEM_LABEL}(?:[A-Za-z0-9+/=\\s:,.\\\\]|-(?!----))*(?:-----END${PEM_LABEL})?`,
    flags: 'g',
    minLength: 27,
    gate: (v) => v.includes('PRIVATE KEY'),
  },
  url_credentials: {
    source: ':\\/\\/[^\\s/?#@:"\'<>`]*:[^\\s/?#"\'<>`]+@',
    flags: 'g',
    minLength: 6,
    gate: (v) => v.includes('://') && v.includes('@'),
    replace: (_m, censor) => `://${censor}@`,
  },
  query_secret: {
    source: `[?&;](?:${QUERY_SECRET_KEYS})=[^&#\\s"'<>]+`,
    flags: 'gi',
    minLength: 6,
    gate: (v) => v.includes('='),
    replace: (m, censor) => m.slice(0, m.indexOf('=') + 1) + censor,
  },
  anthropic_key: {
    source: `${TOKEN_START}sk-ant-[a-z]{3,8}\\d{2}-[A-Za-z0-9_-]{20,}`,
    flags: 'g',
    minLength: 33,
    gate: (v) => v.includes('sk-ant-'),
  },
  openai_key: {
    source: `${TOKEN_START}sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}`,
    flags: 'g',
    minLength: 23,
    gate: (v) => v.includes('sk-'),
  },
  aws_access_key: {
    source: '\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\\b',
    flags: 'g',
    minLength: 20,
    gate: (v) => HAS_AWS_PREFIX.test(v),
  },
  github_token: {
    source: '\\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})',
    flags: 'g',
    minLength: 33,
    gate: (v) => v.includes('_'),
  },
  slack_token: {
    source: `${TOKEN_START}(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,}`,
    flags: 'g',
    minLength: 15,
    gate: (v) => v.includes('xox') || v.includes('xapp'),
  },
  bearer: {
    source: '\\bBearer[ \\t]+[A-Za-z0-9._~+/-]{8,}=*',
    flags: 'gi',
    minLength: 15,
    gate: (v) => HAS_BEARER.test(v),
    validate: isBearerCredential,
    replace: (m, censor) => m.slice(0, schemeEnd(m, 6)) + censor,
  },
  basic_auth: {
    source: '\\bBasic[ \\t]+[A-Za-z0-9+/]{4,}={0,2}',
    flags: 'gi',
    minLength: 10,
    gate: (v) => HAS_BASIC.test(v),
    validate: isBasicCredential,
    replace: (m, censor) => m.slice(0, schemeEnd(m, 5)) + censor,
  },
  jwt: {
    source: `${TOKEN_START}eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*`,
    flags: 'g',
    minLength: 18,
    gate: (v) => v.includes('eyJ'),
  },
  card_number: {
    source: '(?<![\\w+.-])(?:[2-6]\\d{12,18}|[2-6]\\d{3}([ -])\\d{4,6}(?:\\1\\d{3,5}){1,3})(?!\\w)',
    flags: 'g',
    minLength: 13,
    gate: (v) => HAS_FOUR_DIGITS.test(v),
    replace: redactCard,
  },
  email: {
    source: '(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}',
    flags: 'g',
    minLength: 6,
    gate: (v) => v.includes('@'),
  },
  phone: {
    source: PHONE_SOURCE,
    flags: 'g',
    minLength: 9,
    gate: (v) => HAS_TWO_DIGITS.test(v),
    validate: (m) => {
      const n = countDigits(m)
      return n >= 8 && n <= 15
    },
  },
}

/** Order in which built-ins run: containers (PEM blocks, URLs) before the tokens they may hold. */
const RUN_ORDER: readonly PatternName[] = [
  'private_key',
  'url_credentials',
  'query_secret',
  'anthropic_key',
  'openai_key',
  'aws_access_key',
  'github_token',
  'slack_token',
  'bearer',
  'basic_auth',
  'jwt',
  'card_number',
  'email',
  'phone',
]

/** A fresh copy of a built-in pattern (its own global RegExp). */
export function builtinPattern(name: PatternName): ValuePattern {
  const def = DEFS[name]
  const pattern: ValuePattern = { name, regex: new RegExp(def.source, def.flags) }
  if (def.validate) pattern.validate = def.validate
  if (def.replace) pattern.replace = def.replace
  return pattern
}

interface CompiledPattern {
  readonly regex: RegExp
  readonly minLength: number
  readonly gate: ((value: string) => boolean) | undefined
  readonly validate: ((match: string) => boolean) | undefined
  readonly replace: ((match: string, censor: string) => string) | undefined
}

function compileBuiltin(name: PatternName): CompiledPattern {
  const def = DEFS[name]
  return {
    regex: new RegExp(def.source, def.flags),
    minLength: def.minLength,
    gate: def.gate,
    validate: def.validate,
    replace: def.replace,
  }
}

function compileCustom(p: ValuePattern): CompiledPattern {
  let flags = p.regex.flags.replace('y', '')
  if (!flags.includes('g')) flags += 'g'
  return {
    regex: new RegExp(p.regex.source, flags),
    minLength: 1,
    gate: undefined,
    validate: p.validate,
    replace: p.replace,
  }
}

function applyPattern(p: CompiledPattern, value: string, censor: string): string {
  p.regex.lastIndex = 0
  if (!p.regex.test(value)) return value
  let changed = false
  const out = value.replace(p.regex, (match: string) => {
    if (match === '' || (p.validate !== undefined && !p.validate(match))) return match
    const replacement = p.replace !== undefined ? p.replace(match, censor) : censor
    if (replacement !== match) changed = true
    return replacement
  })
  return changed ? out : value
}

/**
 * Compiles a scanner once at setup. Built-in names run in a fixed order
 * (containers first), custom patterns after them in the order given. The
 * scanner returns the redacted string, or the same string when nothing matched.
 */
export function createValueScanner(
  patterns: readonly (PatternName | ValuePattern)[],
  censor: string,
): (value: string) => string {
  const names = new Set<PatternName>()
  const custom: CompiledPattern[] = []
  for (const p of patterns) {
    if (typeof p === 'string') {
      if (!Object.hasOwn(DEFS, p)) throw new TypeError(`unknown value pattern: ${String(p)}`)
      names.add(p)
    } else {
      custom.push(compileCustom(p))
    }
  }
  const builtins = RUN_ORDER.filter((n) => names.has(n))
  const compiled = [...builtins.map(compileBuiltin), ...custom]
  if (compiled.length === 0) return (value) => value
  let minLength = Infinity
  for (const p of compiled) minLength = Math.min(minLength, p.minLength)
  // custom patterns have no hint: without one, every string goes through the gates
  const prefilter =
    custom.length === 0 ? new RegExp(builtins.map((n) => HINTS[n]).join('|'), 'i') : undefined

  return (value) => {
    if (value.length < minLength) return value
    if (prefilter !== undefined && !prefilter.test(value)) return value
    let out = value
    for (const p of compiled) {
      if (out.length < p.minLength || (p.gate !== undefined && !p.gate(out))) continue
      out = applyPattern(p, out, censor)
    }
    return out
  }
}
