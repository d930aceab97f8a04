import { describe, it, expect } from 'vitest'
import {
  ALL_PATTERNS,
  SECRET_PATTERNS,
  builtinPattern,
  createValueScanner,
  luhnValid,
  type PatternName,
  type ValuePattern,
} from './patterns.js'

const R = '[REDACTED]'

const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE'
const OPENAI_LEGACY = 'sk-4fT9xQ2mZ8rL1vB7nK3wY6hJT3BlbkFJ0pD5sA9cE2gU8iO1tR4eW7qZ3xC6'
const OPENAI_PROJECT =
  'sk-proj-Qm3x9TzL4vR8bN2wK7yH1cJ5fD0gS6aE_pU3iO8tZ2xM4nB7vC1qW5eR9yT0uI6oP3aS-dF8gH2jK4lZ'
const OPENAI_SVCACCT = 'sk-svcacct-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56'
const OPENAI_ADMIN = 'sk-admin-Zx98Yw76Vu54Ts32Rq10Po98Nm76Lk54'
const ANTHROPIC_KEY =
  'sk-ant-api03-Xy7Kp2Lm9Qr4St6Uv8Wx0Yz1Ab3Cd5Ef7Gh9Ij2Kl4Mn6Op8Qr0St2Uv4Wx6Yz8Ab0Cd2Ef4Gh6Ij8Kl0Mn2Op4Qr6-AA'
const ANTHROPIC_ADMIN = 'sk-ant-admin01-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qw9Er1Ty3-AA'
const GITHUB_PAT = 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'
const GITHUB_FINE =
  'github_pat_11AB2CD3E0aBcDeFgHiJkLmN_OpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz012345'
const SLACK_TOKEN = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw',
  '7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc',
  'zGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE',
  '-----END RSA PRIVATE KEY-----',
].join('\n')

interface Case {
  input: string
  expected: string
}

const POSITIVE: Record<PatternName, Case[]> = {
  openai_key: [
    { input: `key ${OPENAI_LEGACY}`, expected: `key ${R}` },
    { input: `OPENAI_API_KEY=${OPENAI_PROJECT}`, expected: `OPENAI_API_KEY=${R}` },
    { input: `"${OPENAI_SVCACCT}"`, expected: `"${R}"` },
    { input: `admin: ${OPENAI_ADMIN}.`, expected: `admin: ${R}.` },
  ],
  anthropic_key: [
    { input: `x-api-key: ${ANTHROPIC_KEY}`, expected: `x-api-key: ${R}` },
    { input: `key=${ANTHROPIC_ADMIN}`, expected: `key=${R}` },
  ],
  aws_access_key: [
    { input: `aws_access_key_id = ${AWS_KEY}`, expected: `aws_access_key_id = ${R}` },
    { input: 'id ASIAY34FZKBOKMUTVV7A used', expected: `id ${R} used` },
  ],
  github_token: [
    { input: `token ${GITHUB_PAT}`, expected: `token ${R}` },
    { input: `GITHUB_TOKEN=${GITHUB_FINE}`, expected: `GITHUB_TOKEN=${R}` },
    {
      input: 'ghs_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8 is the installation token',
      expected: `${R} is the installation token`,
    },
  ],
  slack_token: [
    { input: `slack ${SLACK_TOKEN}`, expected: `slack ${R}` },
    {
      input: 'user token xoxp-1234567890-1234567890-1234567890123-0a1b2c3d4e5f',
      expected: `user token ${R}`,
    },
  ],
  jwt: [
    { input: `session=${JWT}; Path=/`, expected: `session=${R}; Path=/` },
    {
      input: 'unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMifQ. token',
      expected: `unsigned ${R} token`,
    },
  ],
  bearer: [
    {
      input: 'Authorization: Bearer 4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e',
      expected: `Authorization: Bearer ${R}`,
    },
    { input: 'authorization: bearer abc.DEF_123-xyz~', expected: `authorization: bearer ${R}` },
    {
      input: 'Bearer QWxhZGRpbnNlc2FtZW9wZW5zZXNhbWVvcGVuc2VzYW1l',
      expected: `Bearer ${R}`,
    },
  ],
  basic_auth: [
    { input: 'Authorization: Basic dXNlcjpwYXNzd29yZA==', expected: `Authorization: Basic ${R}` },
    { input: 'basic QWxhZGRpbjpvcGVuIHNlc2FtZQ', expected: `basic ${R}` },
  ],
  private_key: [
    { input: `key:\n${PEM}\ndone`, expected: `key:\n${R}\ndone` },
    {
      input:
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----',
      expected: R,
    },
    {
      input: 'truncated -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      expected: `truncated ${R}`,
    },
  ],
  query_secret: [
    { input: '/oauth/cb?code=abc123&state=x', expected: `/oauth/cb?code=${R}&state=x` },
    {
      input: 'GET https://api.example.com/v1?api_key=k_live_1234',
      expected: `GET https://api.example.com/v1?api_key=${R}`,
    },
  ],
  url_credentials: [
    { input: 'postgres://admin:s3cr3t@db:5432/x', expected: `postgres://${R}@db:5432/x` },
    {
      input: 'connecting to redis://:hunter2@cache.internal:6379/0 ...',
      expected: `connecting to redis://${R}@cache.internal:6379/0 ...`,
    },
    {
      input: 'https://user:p@ss:w0rd@example.com/path?q=1',
      expected: `https://${R}@example.com/path?q=1`,
    },
  ],
  email: [
    { input: 'contact jane.doe+test@example.co.uk today', expected: `contact ${R} today` },
    { input: '<ops@threadline.dev>', expected: `<${R}>` },
  ],
  phone: [
    { input: 'call +14155552671 now', expected: `call ${R} now` },
    { input: 'call (415) 555-2671.', expected: `call ${R}.` },
    { input: 'call 415-555-2671', expected: `call ${R}` },
    { input: 'call 415.555.2671', expected: `call ${R}` },
    { input: 'call 1-800-555-0199', expected: `call ${R}` },
    { input: 'call +44 20 7946 0958', expected: `call ${R}` },
    { input: 'call +1 (415) 555-2671', expected: `call ${R}` },
    { input: 'call +1-415-555-2671', expected: `call ${R}` },
    { input: 'call +33 1 23 45 67 89', expected: `call ${R}` },
    { input: 'tel:+4930901820', expected: `tel:${R}` },
  ],
  card_number: [
    { input: 'card 4111 1111 1111 1111', expected: `card ${R}` },
    { input: 'card 4111-1111-1111-1111 ok', expected: `card ${R} ok` },
    { input: 'amex 378282246310005', expected: `amex ${R}` },
    { input: 'amex 3782 822463 10005', expected: `amex ${R}` },
    { input: 'discover=6011111111111117', expected: `discover=${R}` },
    { input: 'mc 5555555555554444', expected: `mc ${R}` },
    { input: 'card 4111 1111 1111 1111 123', expected: `card ${R} 123` },
  ],
}

const NEGATIVE: string[] = [
  'user signed in successfully',
  'The quick brown fox jumps over the lazy dog, again and again.',
  '550e8400-e29b-41d4-a716-446655440000',
  '2024-01-15T10:30:00.000Z',
  '2024-01-15T10:30:00+05:30',
  'started at 2024-01-15 12:30:45',
  'in 2024 we shipped 3 releases',
  'commit da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'short sha 9fceb02',
  'version 1.2.3',
  'node v20.19.0 / typescript 5.9.3-beta.1',
  'windows 10.0.19045.3803',
  'card 4111111111111112',
  'card 4111 1111 1111 1112',
  'ts=1700000000000',
  'order ORD-2024-000123',
  'order_1234567890 and INV-123-456-7890',
  'request #12345 took 250ms',
  'client 192.168.1.100:8080',
  'GET https://example.com/api/v1/users?page=2',
  'installed lodash@4.17.21 and @types/node',
  'the task-queue-worker-processing-items is idle',
  'Bearer of bad news',
  'bearer authentication failed',
  'Basic auth is disabled',
  'WWW-Authenticate: Basic realm="api"',
  'user@localhost',
  'Error: boom\n    at handler (/app/src/server.ts:42:17)\n    at node:internal/process/task_queues:95:5',
]

describe('luhnValid', () => {
  it('accepts the standard test vectors', () => {
    expect(luhnValid('4111 1111 1111 1111')).toBe(true)
    expect(luhnValid('378282246310005')).toBe(true)
    expect(luhnValid('6011111111111117')).toBe(true)
    expect(luhnValid('5555-5555-5555-4444')).toBe(true)
  })

  it('rejects bad checksums, wrong lengths and non-digits', () => {
    expect(luhnValid('4111 1111 1111 1112')).toBe(false)
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(luhnValid('0')).toBe(false)
    expect(luhnValid('000000000000')).toBe(false)
    expect(luhnValid('41111111111111111111')).toBe(false)
    expect(luhnValid('4111x1111x1111x1111')).toBe(false)
  })
})

describe('pattern sets', () => {
  it('default-on set is every pattern except email and phone', () => {
    expect(new Set(SECRET_PATTERNS)).toEqual(
      new Set(ALL_PATTERNS.filter((n) => n !== 'email' && n !== 'phone')),
    )
    expect(ALL_PATTERNS).toHaveLength(14)
    expect(SECRET_PATTERNS).toContain('card_number')
  })

  it('builtinPattern returns a fresh global regex each time', () => {
    const a = builtinPattern('jwt')
    const b = builtinPattern('jwt')
    expect(a.name).toBe('jwt')
    expect(a.regex.flags).toContain('g')
    expect(a.regex).not.toBe(b.regex)
    expect(builtinPattern('card_number').replace).toBeTypeOf('function')
  })
})

describe('createValueScanner: built-in patterns', () => {
  for (const name of ALL_PATTERNS) {
    describe(name, () => {
      const only = createValueScanner([name], R)
      const all = createValueScanner(ALL_PATTERNS, R)
      for (const { input, expected } of POSITIVE[name]) {
        it(`redacts ${JSON.stringify(input.slice(0, 60))}`, () => {
          expect(only(input)).toBe(expected)
          expect(all(input)).toBe(expected)
        })
      }
    })
  }
})

describe('createValueScanner: negatives', () => {
  const scan = createValueScanner(ALL_PATTERNS, R)
  for (const input of NEGATIVE) {
    it(`keeps ${JSON.stringify(input.slice(0, 60))}`, () => {
      expect(scan(input)).toBe(input)
    })
  }

  it('leaves email and phone alone in the default set', () => {
    const scan = createValueScanner(SECRET_PATTERNS, R)
    const s = 'mail jane@example.com or call +14155552671'
    expect(scan(s)).toBe(s)
  })

  it('returns the input itself when nothing matched, including rejected candidates', () => {
    const scan = createValueScanner(ALL_PATTERNS, R)
    const inputs = ['', 'ok', 'a perfectly ordinary log message', 'card 4111111111111112']
    for (const s of inputs) expect(scan(s)).toBe(s)
  })
})

describe('createValueScanner: combined text', () => {
  const scan = createValueScanner(ALL_PATTERNS, R)

  it('redacts several secrets in one string', () => {
    const s = `aws=${AWS_KEY} gh=${GITHUB_PAT} to=ops@example.com card=4111 1111 1111 1111 jwt=${JWT}`
    expect(scan(s)).toBe(`aws=${R} gh=${R} to=${R} card=${R} jwt=${R}`)
  })

  it('redacts secrets embedded in JSON text', () => {
    const json = JSON.stringify({
      headers: { authorization: `Bearer ${JWT}`, 'x-api-key': ANTHROPIC_KEY },
      db: 'postgres://app:Sup3rS3cret@db.internal:5432/app',
      key: PEM,
      note: 'fine',
    })
    const out = scan(json)
    expect(JSON.parse(out)).toEqual({
      headers: { authorization: `Bearer ${R}`, 'x-api-key': R },
      db: `postgres://${R}@db.internal:5432/app`,
      key: R,
      note: 'fine',
    })
  })

  it('redacts secrets in stack-trace-like text and keeps the frames', () => {
    const trace = [
      'Error: request to https://svc:hunter22@api.example.com/v1/chat failed (key sk-proj-Qm3x9TzL4vR8bN2wK7yH1cJ5)',
      '    at fetchJson (/app/node_modules/undici/lib/fetch.js:1234:17)',
      '    at async main (/app/src/main.ts:42:5)',
    ].join('\n')
    expect(scan(trace)).toBe(
      [
        `Error: request to https://${R}@api.example.com/v1/chat failed (key ${R})`,
        '    at fetchJson (/app/node_modules/undici/lib/fetch.js:1234:17)',
        '    at async main (/app/src/main.ts:42:5)',
      ].join('\n'),
    )
  })

  it('is correct across repeated and interleaved calls', () => {
    const s = `a ${AWS_KEY} b ${AWS_KEY}`
    const clean = 'nothing to see here'
    for (let i = 0; i < 5; i++) {
      expect(scan(s)).toBe(`a ${R} b ${R}`)
      expect(scan(clean)).toBe(clean)
      expect(scan(`x ${JWT}`)).toBe(`x ${R}`)
    }
  })

  it('uses the given censor', () => {
    const scan = createValueScanner(['bearer', 'url_credentials'], '***')
    expect(scan('Bearer 4f9c2a7e1b8d3f6a0c5e')).toBe('Bearer ***')
    expect(scan('mysql://root:pw@localhost/db')).toBe('mysql://***@localhost/db')
  })

  it('is idempotent on its own output', () => {
    const s = `Authorization: Bearer ${JWT} from ops@example.com`
    const once = scan(s)
    expect(scan(once)).toBe(once)
  })
})

describe('createValueScanner: custom patterns', () => {
  it('adds the g flag and leaves the caller regex untouched', () => {
    const regex = /tl_[a-z0-9]{10}/
    const scan = createValueScanner([{ name: 'internal', regex }], R)
    expect(scan('ids tl_abc123def4 and tl_zzz999yyy8')).toBe(`ids ${R} and ${R}`)
    expect(scan('ids tl_abc123def4 and tl_zzz999yyy8')).toBe(`ids ${R} and ${R}`)
    expect(regex.flags).toBe('')
    expect(regex.lastIndex).toBe(0)
  })

  it('honours validate and replace', () => {
    const pattern: ValuePattern = {
      name: 'acct',
      regex: /acct-(\d+)/gi,
      validate: (m) => m.length > 8,
      replace: (m, censor) => `${m.slice(0, 5)}${censor}`,
    }
    const scan = createValueScanner(['email', pattern], R)
    expect(scan('ACCT-12345 acct-1 x@example.com')).toBe(`ACCT-${R} acct-1 ${R}`)
    const s = 'acct-1 only'
    expect(scan(s)).toBe(s)
  })

  it('ignores empty matches', () => {
    const scan = createValueScanner([{ name: 'empty', regex: /x*/ }], R)
    expect(scan('abc')).toBe('abc')
    expect(scan('axxb')).toBe(`a${R}b`)
  })

  it('accepts no patterns', () => {
    const scan = createValueScanner([], R)
    expect(scan(`${AWS_KEY}`)).toBe(AWS_KEY)
  })

  it('rejects unknown pattern names', () => {
    expect(() => createValueScanner(['nope' as PatternName], R)).toThrow(TypeError)
  })
})

describe('createValueScanner: adversarial input', () => {
  const scan = createValueScanner(ALL_PATTERNS, R)
  const inputs: [string, string][] = [
    ['letters', 'a'.repeat(100_000)],
    ['spaced digits', '1 '.repeat(50_000)],
    ['digits', '1'.repeat(100_000)],
    ['dashed digits', '1-'.repeat(50_000)],
    ['dotted digits', '1.'.repeat(50_000)],
    ['plus digits', '+1 '.repeat(33_333)],
    ['card-like groups', '4444 '.repeat(20_000)],
    ['at signs', '@'.repeat(100_000)],
    ['local@ parts', 'a@'.repeat(50_000)],
    ['long local part', `${'a.'.repeat(50_000)}@`],
    ['long domain', `x@${'a.'.repeat(50_000)}`],
    ['pem headers', '-----BEGIN PRIVATE KEY-----'.repeat(4_000)],
    ['pem label', `-----BEGIN ${'A'.repeat(100_000)}`],
    ['sk prefixes', 'sk-'.repeat(33_333)],
    ['jwt prefixes', `${'eyJ'.repeat(33_333)}.`],
    ['url userinfo', '://a:'.repeat(20_000)],
    ['url colons', `://${':'.repeat(100_000)}`],
    ['bearer words', 'Bearer '.repeat(15_000)],
    ['basic words', 'Basic '.repeat(16_000)],
    ['parens', '('.repeat(100_000)],
    ['dashes', '-'.repeat(100_000)],
  ]
  for (const [label, input] of inputs) {
    it(`finishes on ${label}`, () => {
      expect(typeof scan(input)).toBe('string')
    })
  }
})

describe('query_secret', () => {
  const scan = createValueScanner(['query_secret'], '[REDACTED]')
  it('censors credential query parameters, keeps the rest', () => {
    expect(scan('/users/42?token=s3cret&page=2')).toBe('/users/42?token=[REDACTED]&page=2')
    expect(
      scan('https://x.s3.amazonaws.com/f?X-Amz-Signature=abc123&X-Amz-Credential=AK%2F1'),
    ).toBe('https://x.s3.amazonaws.com/f?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]')
    expect(scan('GET /cb?code=4/0Ab&state=xyz')).toBe('GET /cb?code=[REDACTED]&state=xyz')
    const clean = '/search?q=tokens&page=2&monkey=1'
    expect(scan(clean)).toBe(clean)
  })
})
