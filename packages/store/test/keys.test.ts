import { expect, it } from 'vitest'
import { describeEngines } from './engines.js'

describeEngines('store.keys', (store) => {
  it('creates a key shown once, stores only its hash, and verifies it to its org', async () => {
    const { key, info } = await store().keys.create({
      org_id: 'acme',
      name: 'ci',
      scopes: ['ingest'],
    })
    expect(key).toMatch(/^tl_[0-9a-f]{12}_/)
    expect(info).toMatchObject({ org_id: 'acme', name: 'ci', scopes: ['ingest'], revoked_at: null })
    expect(await store().keys.verify(key)).toEqual(info)
    // Nothing stored can be used as the key.
    const listed = JSON.stringify(await store().keys.list())
    expect(listed).not.toContain(key.split('_')[2])
    expect(
      await store().keys.verify(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')),
    ).toBeUndefined()
    expect(await store().keys.verify("tl_' OR 1=1 --")).toBeUndefined()
  })

  it('lists by org, revokes, and counts live keys', async () => {
    const a = await store().keys.create({ org_id: 'globex' })
    expect(a.info.scopes).toEqual(['ingest', 'read'])
    expect((await store().keys.list({ org_id: 'globex' })).map((k) => k.id)).toEqual([a.info.id])
    const live = await store().keys.activeCount()
    expect(await store().keys.revoke(a.info.id)).toBe(true)
    expect(await store().keys.revoke(a.info.id)).toBe(false)
    expect(await store().keys.verify(a.key)).toBeUndefined()
    expect(await store().keys.activeCount()).toBe(live - 1)
  })

  it('rejects an empty org and unknown scopes', async () => {
    await expect(store().keys.create({ org_id: '' })).rejects.toMatchObject({ field: 'org_id' })
    await expect(
      store().keys.create({ org_id: 'x', scopes: ['owner' as never] }),
    ).rejects.toMatchObject({
      field: 'scopes',
    })
  })
})
