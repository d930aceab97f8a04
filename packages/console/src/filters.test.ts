import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { qs } from './api.js'
import { apiFilters, urlFilters } from './filters.js'

describe('URL filters', () => {
  it('reads the API names from the URL: lists, attributes, numbers, booleans', () => {
    const p = new URLSearchParams(
      'services=api,web&levels=error&org_id=acme&attributes.plan=pro&status_min=500&errors_only=true&search=card%20declined&range=1h&sort_by=duration_ms&live=1',
    )
    expect(urlFilters(p)).toEqual({
      services: ['api', 'web'],
      levels: ['error'],
      org_id: 'acme',
      attributes: { plan: 'pro' },
      status_min: 500,
      errors_only: true,
      search: 'card declined',
    })
  })

  it('adds the window: since always, until only for a custom one', () => {
    const now = Date.parse('2026-12-03T10:00:00Z')
    expect(apiFilters(new URLSearchParams('range=1h&services=api'), now)).toEqual({
      services: ['api'],
      since: '2026-12-03T09:00:00.000Z',
    })
    expect(
      apiFilters(new URLSearchParams('from=2026-12-03T08:00:00Z&to=2026-12-03T08:30:00Z'), now),
    ).toEqual({ since: '2026-12-03T08:00:00.000Z', until: '2026-12-03T08:30:00.000Z' })
  })

  it('round-trips through a query string whatever the values hold', () => {
    const value = fc.string({ minLength: 1 }).filter((s) => !s.includes(','))
    fc.assert(
      fc.property(
        fc.record(
          {
            services: fc.array(value, { minLength: 1, maxLength: 3 }),
            user_id: fc.array(value, { minLength: 1, maxLength: 2 }),
            org_id: fc.string({ minLength: 1 }),
            search: fc.string({ minLength: 1 }),
            attributes: fc.dictionary(
              fc.string({ minLength: 1 }).filter((k) => !k.includes('=')),
              fc.string({ minLength: 1 }),
              { minKeys: 1, maxKeys: 3 },
            ),
          },
          { requiredKeys: [] },
        ),
        (filters) => {
          const back = urlFilters(new URLSearchParams(qs(filters).slice(1)))
          expect(back).toEqual(filters)
        },
      ),
    )
  })
})
