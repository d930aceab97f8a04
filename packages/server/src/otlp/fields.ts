// Field mapping shared by spans and logs: identity, category and event, HTTP, GenAI, errors.
import { errorFingerprint } from '@threadline/core'
import type { ErrorInfo, Level, Sanitizer, ThreadlineEvent } from '@threadline/core'
import type { Obj } from './common.js'
import { Attrs, isoOf } from './values.js'
import type { ResourceInfo, ScopeInfo } from './values.js'

// ---------------------------------------------------------------------------------------------
// shared field mapping

export function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

export interface RawError {
  type: string
  message: string
  stack?: string
}

/** `exception.type`, `exception.message`, `exception.stacktrace` (removed from `a`). */
export function exceptionOf(a: Attrs): RawError | undefined {
  const has = (k: string): boolean => {
    const v = a.map.get(k)
    return v !== undefined && v !== null && v !== ''
  }
  if (!has('exception.type') && !has('exception.message')) return undefined
  const out: RawError = {
    type: text(a.map.get('exception.type')) || 'Error',
    message: text(a.map.get('exception.message')),
  }
  const stack = text(a.map.get('exception.stacktrace'))
  if (stack) out.stack = stack
  a.map.delete('exception.type')
  a.map.delete('exception.message')
  a.map.delete('exception.stacktrace')
  return out
}

export function errorInfo(raw: RawError, s: Sanitizer): ErrorInfo {
  const info: ErrorInfo = {
    type: s.string(raw.type, 200),
    message: s.string(raw.message),
    fingerprint: errorFingerprint(raw.type, raw.message, raw.stack),
  }
  if (raw.stack) info.stack = s.string(raw.stack, s.limits.maxStackLength)
  return info
}

export type Mutable = { -readonly [K in keyof ThreadlineEvent]: ThreadlineEvent[K] }

/** user_id, session_id, org_id from the record's attributes, then its resource's. */
export function identity(e: Mutable, a: Attrs, resource: ResourceInfo, s: Sanitizer): void {
  const r = resource.attrs
  const user = a.str('enduser.id', 'user.id') ?? r.peekStr('enduser.id') ?? r.peekStr('user.id')
  const session = a.str('session.id') ?? r.peekStr('session.id')
  const org =
    a.str('threadline.org_id', 'tenant.id') ??
    r.peekStr('threadline.org_id') ??
    r.peekStr('tenant.id')
  if (user !== undefined) e.user_id = s.string(user, 1024)
  if (session !== undefined) e.session_id = s.string(session, 1024)
  if (org !== undefined) e.org_id = s.string(org, 1024)
}

export function baseEvent(
  kind: 'span' | 'log',
  id: string,
  ms: number,
  level: Level,
  resource: ResourceInfo,
  s: Sanitizer,
): Mutable {
  const e: Mutable = {
    id,
    kind,
    timestamp: isoOf(ms),
    level,
    message: '',
    service: s.string(resource.service, 1024),
  }
  if (resource.environment !== undefined) e.environment = s.string(resource.environment, 1024)
  if (resource.service_version !== undefined)
    e.service_version = s.string(resource.service_version, 1024)
  return e
}

/** The record's remaining attributes, then `otel.*` extras, then the resource's; sanitized. */
export function finishAttributes(
  e: Mutable,
  a: Attrs,
  extra: [string, unknown][],
  scope: ScopeInfo,
  resource: ResourceInfo,
  s: Sanitizer,
): void {
  const all: Obj = Object.create(null) as Obj
  for (const [k, v] of a.map) all[k] = v
  for (const [k, v] of extra) all[k] = v
  if (scope.name !== undefined) all['otel.scope.name'] = scope.name
  if (scope.version !== undefined) all['otel.scope.version'] = scope.version
  for (const [k, v] of resource.extra) if (!(k in all)) all[k] = v
  if (Object.keys(all).length > 0) {
    const out = s.attributes(all)
    if (Object.keys(out).length > 0) e.attributes = out
  }
  s.wireFields(e)
}
