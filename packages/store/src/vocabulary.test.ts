import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { canonicalFilters, Params, whereClauses } from './filters.js'
import { FILTER_OPTIONS, toEventFilters } from './cli/filters.js'
import {
  FACET_FIELDS,
  FILTERS,
  FILTER_NAMES,
  GROUP_BY_FIELDS,
  filterByName,
  type FilterDefinition,
} from './vocabulary.js'

/** A valid value of each filter type. */
const SAMPLE: Record<string, unknown> = {
  list: ['a', 'b'],
  string: 'x',
  number: 404,
  boolean: true,
  time: '24h',
  level: 'warn',
  attributes: { 'http.route': '/x' },
}
const sample = (f: FilterDefinition): unknown =>
  f.type === 'list' && f.values ? [f.values[0]] : SAMPLE[f.type]

describe('the filter vocabulary', () => {
  it('imports nothing at run time, so a browser bundle can take it', () => {
    const source = readFileSync(new URL('./vocabulary.ts', import.meta.url), 'utf8')
    const imports = source.match(/^import .*$/gm) ?? []
    for (const line of imports) expect(line).toMatch(/^import type /)
  })

  it('names each filter once, aliases included', () => {
    const names = FILTERS.flatMap((f) => [f.name, ...f.aliases])
    expect(new Set(names).size).toBe(names.length)
    expect(filterByName('log_types')?.name).toBe('categories')
    expect(filterByName('severities')?.name).toBe('levels')
    expect(filterByName('nope')).toBeUndefined()
    expect(FACET_FIELDS).toEqual([...GROUP_BY_FIELDS, 'session'])
  })

  it('is what the store accepts: every filter becomes one SQL condition', () => {
    for (const f of FILTERS as readonly FilterDefinition[]) {
      const filters = canonicalFilters({ [f.name]: sample(f) }, new Set())
      const clauses = whereClauses(filters, new Params(), new Date())
      expect(clauses, f.name).toHaveLength(1)
      for (const alias of f.aliases)
        expect(Object.keys(canonicalFilters({ [alias]: sample(f) }, new Set()))).toEqual([f.name])
    }
    expect(() => canonicalFilters({ colour: 'red' }, new Set())).toThrow(/colour/)
  })

  it('gives the CLI a flag per filter that has one, mapped back to the filter', () => {
    for (const f of FILTERS as readonly FilterDefinition[]) {
      if (!f.flag) continue
      expect(FILTER_OPTIONS[f.flag], f.flag).toBeDefined()
    }
    const parsed = toEventFilters({
      service: ['api,web'],
      kind: ['span'],
      'span-kind': ['llm'],
      status: '5xx',
      level: 'warn',
      attr: ['plan=pro'],
      'errors-only': true,
      method: ['get'],
    })
    expect(parsed).toEqual({
      services: ['api', 'web'],
      kinds: 'span',
      span_kinds: 'llm',
      status_min: 500,
      status_max: 599,
      level: 'warn',
      attributes: { plan: 'pro' },
      errors_only: true,
      methods: 'GET',
    })
    expect(() => toEventFilters({ kind: ['trace'] })).toThrow(/--kind/)
    expect(FILTER_NAMES).toContain('attributes')
  })
})
