/**
 * One entry point from stored integration settings to an exporter, for the server's
 * integrations (`{ integration_type, config, credentials }`, snake_case as on the wire).
 * Unknown keys are refused, so a typo fails when the integration is saved, not silently.
 */
import { ThreadlineConfigError } from '../errors.js'
import { cloudwatchExporter } from './cloudwatch.js'
import { datadogExporter } from './datadog.js'
import type { VendorCommonOptions, VendorExporter } from './intake.js'
import { splunkExporter } from './splunk.js'
import { webhookExporter } from './webhook.js'

export type VendorType = 'datadog' | 'splunk' | 'cloudwatch' | 'webhook'
export const VENDOR_TYPES: readonly VendorType[] = ['datadog', 'splunk', 'cloudwatch', 'webhook']

type Kind = 'string' | 'number' | 'boolean' | 'object'
/** snake_case key → [camelCase option, type]. */
type Keys = Record<string, readonly [string, Kind]>

const COMMON: Keys = {
  url: ['url', 'string'],
  headers: ['headers', 'object'],
  timeout_ms: ['timeoutMs', 'number'],
  max_attempts: ['maxAttempts', 'number'],
  max_retry_ms: ['maxRetryMs', 'number'],
  initial_backoff_ms: ['initialBackoffMs', 'number'],
  max_backoff_ms: ['maxBackoffMs', 'number'],
  oversized: ['oversized', 'string'],
  breaker_failure_threshold: ['breaker.failureThreshold', 'number'],
  breaker_open_ms: ['breaker.openMs', 'number'],
}

/** Accepted `config` keys per type (credentials apart). */
export const VENDOR_CONFIG_KEYS: Record<VendorType, Keys> = {
  datadog: {
    ...COMMON,
    site: ['site', 'string'],
    ddsource: ['ddsource', 'string'],
    service: ['service', 'string'],
    hostname: ['hostname', 'string'],
    ddtags: ['ddtags', 'string'],
  },
  splunk: {
    ...COMMON,
    index: ['index', 'string'],
    source: ['source', 'string'],
    sourcetype: ['sourcetype', 'string'],
    host: ['host', 'string'],
    ack: ['ack', 'boolean'],
    channel: ['channel', 'string'],
    ack_poll_ms: ['ackPollMs', 'number'],
    max_request_bytes: ['maxRequestBytes', 'number'],
    max_events_per_request: ['maxEventsPerRequest', 'number'],
  },
  cloudwatch: {
    ...COMMON,
    region: ['region', 'string'],
    log_group_name: ['logGroupName', 'string'],
    log_stream_name: ['logStreamName', 'string'],
    create_if_missing: ['createIfMissing', 'boolean'],
  },
  webhook: {
    ...COMMON,
    gzip: ['gzip', 'boolean'],
    max_request_bytes: ['maxRequestBytes', 'number'],
    max_events_per_request: ['maxEventsPerRequest', 'number'],
  },
}

/** Accepted `credentials` keys per type, and whether each is required. */
export const VENDOR_CREDENTIAL_KEYS: Record<VendorType, Record<string, boolean>> = {
  datadog: { api_key: true },
  splunk: { token: true },
  cloudwatch: { access_key_id: true, secret_access_key: true, session_token: false },
  webhook: { secret: false },
}

function mapConfig(type: VendorType, config: Record<string, unknown>): Record<string, unknown> {
  const keys = VENDOR_CONFIG_KEYS[type]
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null) continue
    const spec = keys[k]
    if (!spec) throw new ThreadlineConfigError(`${type}: unknown config key "${k}"`, `config.${k}`)
    const [name, kind] = spec
    if (typeof v !== kind || (kind === 'object' && Array.isArray(v)))
      throw new ThreadlineConfigError(`${type}: config.${k} must be a ${kind}`, `config.${k}`)
    const dot = name.indexOf('.')
    if (dot < 0) out[name] = v
    else {
      const outer = name.slice(0, dot)
      out[outer] = { ...(out[outer] as object | undefined), [name.slice(dot + 1)]: v }
    }
  }
  return out
}

function mapCredentials(
  type: VendorType,
  credentials: Record<string, unknown>,
): Record<string, string> {
  const keys = VENDOR_CREDENTIAL_KEYS[type]
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(credentials)) {
    if (v === undefined || v === null || v === '') continue
    if (!(k in keys))
      throw new ThreadlineConfigError(`${type}: unknown credential "${k}"`, `credentials.${k}`)
    if (typeof v !== 'string')
      throw new ThreadlineConfigError(
        `${type}: credentials.${k} must be a string`,
        `credentials.${k}`,
      )
    out[k] = v
  }
  for (const [k, required] of Object.entries(keys))
    if (required && !(k in out))
      throw new ThreadlineConfigError(`${type}: credentials.${k} is required`, `credentials.${k}`)
  return out
}

/**
 * Build the exporter for an integration. Credentials are taken only from `credentials`, and
 * nothing else is read from the environment either (`DD_SITE`, `SPLUNK_HEC_URL`,
 * `AWS_REGION`, ...): one server's integrations never borrow its own configuration.
 * Throws a `ThreadlineConfigError` naming the bad key (`config.site`, `credentials.token`);
 * its message never contains a credential.
 *
 * | type | config (snake_case) | credentials |
 * |---|---|---|
 * | `datadog` | `site`, `ddsource`, `service`, `hostname`, `ddtags` | `api_key` |
 * | `splunk` | `url` (required), `index`, `source`, `sourcetype`, `host`, `ack`, `channel`, `ack_poll_ms`, `max_request_bytes`, `max_events_per_request` | `token` |
 * | `cloudwatch` | `region` (required), `log_group_name` (required), `log_stream_name`, `create_if_missing` | `access_key_id`, `secret_access_key`, `session_token`? |
 * | `webhook` | `url` (required), `gzip`, `max_request_bytes`, `max_events_per_request` | `secret`? |
 *
 * Every type also takes `url`, `headers`, `timeout_ms`, `max_attempts`, `max_retry_ms`,
 * `initial_backoff_ms`, `max_backoff_ms`, `oversized`, `breaker_failure_threshold`,
 * `breaker_open_ms`.
 */
export function vendorExporter(
  type: VendorType,
  config: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
): VendorExporter {
  if (!VENDOR_TYPES.includes(type))
    throw new ThreadlineConfigError(
      `integration type must be one of ${VENDOR_TYPES.join(', ')}`,
      'integration_type',
    )
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new ThreadlineConfigError('config must be an object', 'config')
  if (!credentials || typeof credentials !== 'object' || Array.isArray(credentials))
    throw new ThreadlineConfigError('credentials must be an object', 'credentials')
  const o = mapConfig(type, config) as VendorCommonOptions & Record<string, unknown>
  const c = mapCredentials(type, credentials)
  // settings an exporter would otherwise read from this process's environment are required
  // (or defaulted) here, so one integration never inherits the server's own configuration
  const need = (key: string, option: string): void => {
    if (o[option] === undefined)
      throw new ThreadlineConfigError(`${type}: config.${key} is required`, `config.${key}`)
  }
  switch (type) {
    case 'datadog':
      return datadogExporter({
        site: 'datadoghq.com',
        ddtags: '',
        ...o,
        apiKey: c['api_key']!,
      })
    case 'splunk':
      need('url', 'url')
      return splunkExporter({ ...o, token: c['token']! })
    case 'cloudwatch':
      need('region', 'region')
      need('log_group_name', 'logGroupName')
      return cloudwatchExporter({
        ...(o as { logGroupName: string }),
        credentials: {
          accessKeyId: c['access_key_id']!,
          secretAccessKey: c['secret_access_key']!,
          ...(c['session_token'] ? { sessionToken: c['session_token'] } : {}),
        },
      })
    case 'webhook':
      need('url', 'url')
      return webhookExporter({ ...o, ...(c['secret'] ? { secret: c['secret'] } : {}) })
  }
}
