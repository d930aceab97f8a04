// What each destination asks for: its settings and its credentials, with which are required.
// Names are the server's (snake_case), taken as they are into `config` and `credentials`.

export interface FieldDef {
  key: string
  label: string
  required?: boolean
  placeholder?: string
  /** A yes/no setting. */
  boolean?: boolean
}

export interface DestinationDef {
  type: string
  label: string
  config: FieldDef[]
  credentials: FieldDef[]
}

const URL_OVERRIDE: FieldDef = {
  key: 'url',
  label: 'Intake URL (proxy, other site, private link)',
  placeholder: 'leave empty for the default',
}

export const DESTINATIONS: DestinationDef[] = [
  {
    type: 'datadog',
    label: 'Datadog',
    config: [
      { key: 'site', label: 'Site', placeholder: 'datadoghq.com' },
      { key: 'service', label: 'Service' },
      { key: 'ddsource', label: 'Source', placeholder: 'threadline' },
      { key: 'ddtags', label: 'Tags', placeholder: 'env:prod,team:api' },
      { key: 'hostname', label: 'Host name' },
      URL_OVERRIDE,
    ],
    credentials: [{ key: 'api_key', label: 'API key', required: true }],
  },
  {
    type: 'splunk',
    label: 'Splunk HEC',
    config: [
      { key: 'url', label: 'HEC URL', required: true, placeholder: 'https://splunk:8088' },
      { key: 'index', label: 'Index' },
      { key: 'source', label: 'Source' },
      { key: 'sourcetype', label: 'Source type' },
      { key: 'host', label: 'Host' },
      { key: 'ack', label: 'Indexer acknowledgement', boolean: true },
    ],
    credentials: [{ key: 'token', label: 'HEC token', required: true }],
  },
  {
    type: 'cloudwatch',
    label: 'CloudWatch Logs',
    config: [
      { key: 'region', label: 'Region', required: true, placeholder: 'eu-west-1' },
      { key: 'log_group_name', label: 'Log group', required: true },
      { key: 'log_stream_name', label: 'Log stream' },
      { key: 'create_if_missing', label: 'Create group and stream', boolean: true },
      URL_OVERRIDE,
    ],
    credentials: [
      { key: 'access_key_id', label: 'Access key id', required: true },
      { key: 'secret_access_key', label: 'Secret access key', required: true },
      { key: 'session_token', label: 'Session token' },
    ],
  },
  {
    type: 'webhook',
    label: 'Webhook',
    config: [{ key: 'url', label: 'URL', required: true, placeholder: 'https://example.com/hook' }],
    credentials: [{ key: 'secret', label: 'Signing secret (HMAC-SHA-256)' }],
  },
]

/** `a, b ,c` -> ['a', 'b', 'c']. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** The request body for a new integration from the form's values (empty fields left out). */
export function integrationBody(
  dest: DestinationDef,
  values: Record<string, string | boolean>,
  name: string,
  filters: { categories: string; levels: string; services: string },
): Record<string, unknown> {
  const pick = (fields: FieldDef[], prefix: string) => {
    const out: Record<string, unknown> = {}
    for (const f of fields) {
      const v = values[prefix + f.key]
      if (f.boolean) {
        if (v === true) out[f.key] = true
      } else if (typeof v === 'string' && v.trim() !== '') out[f.key] = v.trim()
    }
    return out
  }
  const credentials = pick(dest.credentials, 'cred.')
  return {
    name: name.trim(),
    integration_type: dest.type,
    config: pick(dest.config, 'config.'),
    ...(Object.keys(credentials).length ? { credentials } : {}),
    enabled: true,
    filters: {
      categories: splitList(filters.categories),
      levels: splitList(filters.levels),
      services: splitList(filters.services),
    },
  }
}
