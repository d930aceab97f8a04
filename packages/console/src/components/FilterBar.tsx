// The explorer's filters: one dropdown per field with the values seen in the window (facets),
// attribute key=value, full-text search. Every change is a new URL.
import { useEffect, useRef, useState } from 'preact/hooks'
import { filterByName } from '@threadline/store/vocabulary'
import { qs, request } from '../api.js'
import { apiFilters } from '../filters.js'
import { navigate, withParams, type Location } from '../router.js'
import type { Facet } from '../types.js'

export interface FieldSpec {
  /** URL / API filter name. */
  param: string
  label: string
  /** Facet field for the value list. */
  facet: string
  /** One value only (org). */
  single: boolean
}

/** The filters that get a menu of values, in the order of the filter bar. */
const MENU = ['services', 'categories', 'events', 'levels', 'org_id', 'user_id', 'session_id']

export const FILTER_FIELDS: FieldSpec[] = MENU.map((name) => {
  const f = filterByName(name)
  if (!f?.facet) throw new Error(`the vocabulary has no facet for ${name}`)
  return { param: f.name, label: f.label, facet: f.facet, single: f.type !== 'list' }
})

function values(loc: Location, param: string): string[] {
  const v = loc.params.get(param)
  return v ? v.split(',').filter(Boolean) : []
}

function FacetSelect({ loc, spec }: { loc: Location; spec: FieldSpec }) {
  const [open, setOpen] = useState(false)
  const [text, setText] = useState('')
  const [facet, setFacet] = useState<Facet | null>(null)
  const [failed, setFailed] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const chosen = values(loc, spec.param)

  useEffect(() => {
    if (!open) return
    const ctl = new AbortController()
    // the other filters narrow the list; this field's own choice does not
    const params = new URLSearchParams(loc.params)
    params.delete(spec.param)
    const { attributes, ...rest } = apiFilters(params)
    request<Facet>(
      `/api/facets${qs({ ...rest, ...(attributes ? { attributes } : {}), field: spec.facet, limit: 50 })}`,
      { signal: ctl.signal },
    ).then(
      (f) => setFacet(f),
      () => !ctl.signal.aborted && setFailed(true),
    )
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', close)
    return () => {
      ctl.abort()
      document.removeEventListener('mousedown', close)
    }
  }, [open])

  const set = (next: string[]) =>
    navigate(withParams(loc, { [spec.param]: next, cursor: undefined }))
  const toggle = (v: string) => {
    if (spec.single) set(chosen.includes(v) ? [] : [v])
    else set(chosen.includes(v) ? chosen.filter((c) => c !== v) : [...chosen, v])
  }
  const shown = (facet?.values ?? []).filter((v) =>
    String(v.value).toLowerCase().includes(text.toLowerCase()),
  )
  const summary =
    chosen.length === 0 ? 'all' : chosen.length === 1 ? chosen[0] : `${chosen.length} selected`

  return (
    <div class="facet" ref={ref} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button
        type="button"
        class={chosen.length ? 'facet-button on' : 'facet-button'}
        aria-haspopup="listbox"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {spec.label}: <span class="facet-value">{summary}</span>
      </button>
      {open && (
        <div class="popover facet-pop" role="dialog" aria-label={`${spec.label} filter`}>
          <form
            onSubmit={(e) => {
              e.preventDefault()
              if (text.trim()) toggle(text.trim())
              setText('')
            }}
          >
            <input
              autoFocus
              placeholder={`Filter or enter a ${spec.label.toLowerCase()}`}
              aria-label={`${spec.label} value`}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </form>
          <ul role="listbox" aria-label={spec.label} aria-multiselectable={!spec.single}>
            {chosen
              .filter((c) => !shown.some((v) => String(v.value) === c))
              .map((c) => (
                <li key={c}>
                  <label>
                    <input type="checkbox" checked onChange={() => toggle(c)} /> {c}
                  </label>
                </li>
              ))}
            {shown.map((v) => (
              <li key={String(v.value)}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(String(v.value))}
                    onChange={() => toggle(String(v.value))}
                  />{' '}
                  <span class="facet-name">{String(v.value)}</span>
                  <span class="count">{v.count.toLocaleString('en-US')}</span>
                </label>
              </li>
            ))}
            {facet && shown.length === 0 && <li class="muted">No values in this window</li>}
            {!facet && !failed && <li class="muted">Loading…</li>}
            {failed && <li class="muted">Values unavailable; type one above</li>}
          </ul>
          {chosen.length > 0 && (
            <button type="button" class="link" onClick={() => set([])}>
              Clear
            </button>
          )}
        </div>
      )}
    </div>
  )
}

function AttributeFilter({ loc }: { loc: Location }) {
  const [text, setText] = useState('')
  const [bad, setBad] = useState(false)
  return (
    <form
      class="attr-filter"
      onSubmit={(e) => {
        e.preventDefault()
        const m = /^\s*([^=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(text)
        if (!m) return setBad(true)
        setBad(false)
        setText('')
        navigate(withParams(loc, { [`attributes.${m[1]}`]: m[2], cursor: undefined }))
      }}
    >
      <input
        aria-label="Attribute filter"
        placeholder="attribute key=value"
        value={text}
        aria-invalid={bad}
        onInput={(e) => setText(e.currentTarget.value)}
      />
    </form>
  )
}

export function SearchBox({ loc }: { loc: Location }) {
  const current = loc.params.get('search') ?? ''
  const [text, setText] = useState(current)
  useEffect(() => setText(current), [current])
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault()
        navigate(withParams(loc, { search: text.trim(), cursor: undefined }))
      }}
    >
      <input
        type="search"
        aria-label="Search"
        placeholder='Search messages and errors ("exact phrase" -exclude)'
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
    </form>
  )
}

/** Chips for every active filter, each removable. */
export function ActiveFilters({ loc, keep = [] }: { loc: Location; keep?: string[] }) {
  const chips: [string, string][] = []
  for (const [k, v] of loc.params) {
    if (['range', 'from', 'to', 'sort_by', 'sort_order', 'live', ...keep].includes(k)) continue
    chips.push([k, v])
  }
  if (!chips.length) return null
  return (
    <div class="chips" aria-label="Active filters">
      {chips.map(([k, v]) => (
        <span class="chip" key={k}>
          {k.replace(/^attributes\./, '@')}={v}
          <button
            type="button"
            aria-label={`Remove filter ${k}`}
            onClick={() => navigate(withParams(loc, { [k]: undefined }))}
          >
            ×
          </button>
        </span>
      ))}
      {chips.length > 1 && (
        <button
          type="button"
          class="link"
          onClick={() =>
            navigate(
              withParams(
                loc,
                Object.fromEntries(chips.map(([k]) => [k, undefined])) as Record<string, undefined>,
              ),
            )
          }
        >
          Clear all
        </button>
      )}
    </div>
  )
}

export function FilterBar({ loc }: { loc: Location }) {
  return (
    <div class="filter-bar">
      <SearchBox loc={loc} />
      <div class="facets">
        {FILTER_FIELDS.map((f) => (
          <FacetSelect key={f.param} loc={loc} spec={f} />
        ))}
        <AttributeFilter loc={loc} />
      </div>
      <ActiveFilters loc={loc} />
    </div>
  )
}
