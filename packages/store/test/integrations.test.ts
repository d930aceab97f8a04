import { expect, it } from 'vitest'
import { describeEngines } from './engines.js'

describeEngines('store.integrations', (store) => {
  it('creates, lists newest first, gets, updates and deletes, scoped by org', async () => {
    const a = await store().integrations.create({
      org_id: 'acme',
      name: 'dd',
      integration_type: 'datadog',
      config: { site: 'datadoghq.eu' },
      credentials_encrypted: 'v1:opaque',
      credentials_hint: 'api_key: ****a1b2',
      filters: { levels: ['error'] },
    })
    expect(a).toMatchObject({
      org_id: 'acme',
      enabled: true,
      config: { site: 'datadoghq.eu' },
      filters: { categories: [], levels: ['error'], services: [] },
    })
    const b = await store().integrations.create({
      org_id: 'acme',
      name: 'hook',
      integration_type: 'webhook',
      config: { url: 'http://127.0.0.1:1/' },
    })
    expect((await store().integrations.list({ org_id: 'acme' })).map((i) => i.id)).toEqual([
      b.id,
      a.id,
    ])
    expect(await store().integrations.get(a.id, { org_id: 'globex' })).toBeUndefined()
    expect(await store().integrations.update(a.id, { enabled: false }, { org_id: 'globex' })).toBe(
      undefined,
    )
    expect(await store().integrations.delete(a.id, { org_id: 'globex' })).toBe(false)
    const updated = await store().integrations.update(a.id, { enabled: false, name: 'dd2' })
    expect(updated).toMatchObject({
      enabled: false,
      name: 'dd2',
      credentials_hint: a.credentials_hint,
    })
    expect(await store().integrations.delete(a.id, { org_id: 'acme' })).toBe(true)
    expect(await store().integrations.get(a.id)).toBeUndefined()
  })
})
