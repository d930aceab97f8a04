// The explorer: filters in the URL, a virtualised list paged by cursor, a detail panel,
// live tail, and exports of the current filter.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError, request } from '../api.js'
import { ExportButtons } from '../components/Export.js'
import { EventDetail } from '../components/EventDetail.js'
import { FilterBar } from '../components/FilterBar.js'
import { ErrorBox, FirstEvent, Skeleton, Empty } from '../components/States.js'
import { TimeRange } from '../components/TimeRange.js'
import { apiFilters } from '../filters.js'
import { clean, fmtCost, fmtInt, fmtMs, fmtTime } from '../format.js'
import { useInterval } from '../hooks.js'
import { navigate, withParams, type Location } from '../router.js'
import type { Ev, QueryResult } from '../types.js'

const ROW = 32
const PAGE = 200
const SORTS: [string, string][] = [
  ['timestamp', 'Time'],
  ['duration_ms', 'Duration'],
  ['level', 'Severity'],
  ['cost_usd', 'Cost'],
  ['service', 'Service'],
]

interface ListState {
  key: string
  events: Ev[]
  cursor: string | null
  total: number | undefined
  loading: boolean
  error: ApiError | undefined
  empty: boolean
}

function sortOf(loc: Location) {
  const by = loc.params.get('sort_by') ?? 'timestamp'
  const order = loc.params.get('sort_order') === 'asc' ? 'asc' : 'desc'
  return { sort_by: SORTS.some(([k]) => k === by) ? by : 'timestamp', sort_order: order }
}

function Row({ e, selected, onSelect }: { e: Ev; selected: boolean; onSelect: () => void }) {
  const what = [e.category, e.event].filter(Boolean).join(' · ')
  return (
    <div
      class={`row lvl-${e.level}${selected ? ' selected' : ''}`}
      role="row"
      data-id={e.id}
      aria-selected={selected}
      onClick={onSelect}
      style={{ height: `${ROW}px` }}
    >
      <span role="cell" class="c-time" title={e.timestamp}>
        <span class="date">{fmtTime(e.timestamp).slice(0, 11)}</span>
        {fmtTime(e.timestamp).slice(11)}
      </span>
      <span role="cell" class="c-level">
        <span class={`badge lvl-${e.level}`}>{e.level}</span>
      </span>
      <span role="cell" class="c-service">
        {clean(e.service)}
      </span>
      <span role="cell" class="c-what">
        {clean(what)}
      </span>
      <span role="cell" class="c-msg">
        {e.kind === 'span' && <span class="kind">span</span>}
        {clean(e.error?.message ? `${e.message} — ${e.error.message}` : e.message)}
      </span>
      <span role="cell" class="c-dur num">
        {e.duration_ms !== undefined ? fmtMs(e.duration_ms) : ''}
      </span>
      <span role="cell" class="c-cost num">
        {e.cost_usd !== undefined ? fmtCost(e.cost_usd) : ''}
      </span>
    </div>
  )
}

export function Logs({ loc }: { loc: Location }) {
  const sort = sortOf(loc)
  const live = loc.params.get('live') === '1'
  // everything but `live` decides the list
  const keyParams = new URLSearchParams(loc.params)
  keyParams.delete('live')
  const key = keyParams.toString()
  const filters = useMemo(() => apiFilters(loc.params), [key])
  const [state, setState] = useState<ListState>({
    key: '',
    events: [],
    cursor: null,
    total: undefined,
    loading: true,
    error: undefined,
    empty: false,
  })
  const [selected, setSelected] = useState<number>(-1)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(600)
  const box = useRef<HTMLDivElement>(null)
  const busy = useRef(false)

  async function fetchPage(cursor: string | null, signal?: AbortSignal): Promise<QueryResult> {
    return request<QueryResult>('/api/logs/query', {
      body: {
        ...filters,
        ...sort,
        limit: PAGE,
        ...(cursor ? { cursor } : { with_total: true }),
      },
      ...(signal ? { signal } : {}),
    })
  }

  useEffect(() => {
    const ctl = new AbortController()
    setState((s) => ({ ...s, key, loading: true, error: undefined }))
    setSelected(-1)
    box.current?.scrollTo(0, 0)
    fetchPage(null, ctl.signal).then(
      async (r) => {
        let empty = false
        if (r.events.length === 0) {
          // nothing in this window: is the store empty, or only this filter?
          const any = await request<QueryResult>('/api/logs/query', {
            body: { limit: 1, since: '3650d' },
            signal: ctl.signal,
          }).catch(() => null)
          empty = any !== null && any.events.length === 0
        }
        if (ctl.signal.aborted) return
        setState({
          key,
          events: r.events,
          cursor: r.next_cursor,
          total: r.total,
          loading: false,
          error: undefined,
          empty,
        })
      },
      (error: ApiError) => {
        if (!ctl.signal.aborted) setState((s) => ({ ...s, loading: false, error }))
      },
    )
    return () => ctl.abort()
  }, [key])

  const loadMore = () => {
    if (busy.current || !state.cursor || state.loading) return
    busy.current = true
    const cursor = state.cursor
    fetchPage(cursor).then(
      (r) => {
        busy.current = false
        setState((s) =>
          s.cursor === cursor
            ? { ...s, events: [...s.events, ...r.events], cursor: r.next_cursor }
            : s,
        )
      },
      (error: ApiError) => {
        busy.current = false
        setState((s) => ({ ...s, error }))
      },
    )
  }

  // live tail: newest first, poll for what arrived since the newest row shown
  const canLive = sort.sort_by === 'timestamp' && sort.sort_order === 'desc'
  useInterval(
    () => {
      if (busy.current || state.loading) return
      const newest = state.events[0]?.timestamp ?? (filters.since as string)
      busy.current = true
      request<QueryResult>('/api/logs/query', {
        body: { ...filters, since: newest, ...sort, limit: PAGE },
      }).then(
        (r) => {
          busy.current = false
          setState((s) => {
            const seen = new Set(s.events.slice(0, PAGE * 2).map((e) => e.id))
            const fresh = r.events.filter((e) => !seen.has(e.id))
            if (!fresh.length) return s
            setSelected((i) => (i >= 0 ? i + fresh.length : i))
            return {
              ...s,
              events: [...fresh, ...s.events],
              total: s.total === undefined ? undefined : s.total + fresh.length,
              empty: false,
            }
          })
        },
        () => (busy.current = false),
      )
    },
    live && canLive ? 2000 : null,
  )

  useEffect(() => {
    const el = box.current
    if (!el) return
    const ro = new ResizeObserver(() => setHeight(el.clientHeight))
    ro.observe(el)
    return () => ro.disconnect()
  }, [state.events.length > 0])

  // keyboard: j/k or arrows move, Escape closes, / focuses search
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement
      if (t.closest('input, textarea, select, [contenteditable]')) return
      if (e.key === '/') {
        e.preventDefault()
        document.querySelector<HTMLInputElement>('input[type=search]')?.focus()
      } else if (e.key === 'ArrowDown' || e.key === 'j') {
        e.preventDefault()
        setSelected((i) => Math.min(state.events.length - 1, i + 1))
      } else if (e.key === 'ArrowUp' || e.key === 'k') {
        e.preventDefault()
        setSelected((i) => Math.max(0, i - 1))
      } else if (e.key === 'Escape') setSelected(-1)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [state.events.length])

  // keep the selected row in view
  useEffect(() => {
    const el = box.current
    if (!el || selected < 0) return
    const top = selected * ROW
    if (top < el.scrollTop) el.scrollTop = top
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight
  }, [selected])

  const first = Math.max(0, Math.floor(scrollTop / ROW) - 10)
  const last = Math.min(state.events.length, Math.ceil((scrollTop + height) / ROW) + 10)
  const current = selected >= 0 ? state.events[selected] : undefined

  const setSort = (by: string) => {
    const order = sort.sort_by === by && sort.sort_order === 'desc' ? 'asc' : 'desc'
    navigate(
      withParams(loc, {
        sort_by: by === 'timestamp' ? undefined : by,
        sort_order: order === 'desc' ? undefined : order,
      }),
    )
  }

  return (
    <div class="logs-page">
      <div class="page-head">
        <h1>Logs</h1>
        <TimeRange loc={loc} />
      </div>
      <FilterBar loc={loc} />
      <div class="toolbar">
        <span class="count" aria-live="polite">
          {state.loading && state.key !== key
            ? 'Loading…'
            : state.total !== undefined
              ? `${fmtInt(state.total)} events`
              : `${fmtInt(state.events.length)} events`}
        </span>
        <label
          class={canLive ? 'toggle' : 'toggle disabled'}
          title={canLive ? '' : 'Live tail follows the newest events: sort by time, newest first'}
        >
          <input
            type="checkbox"
            checked={live && canLive}
            disabled={!canLive}
            onChange={(e) =>
              navigate(withParams(loc, { live: e.currentTarget.checked ? '1' : undefined }), {
                replace: true,
              })
            }
          />{' '}
          Live tail
        </label>
        <span class="spacer" />
        <ExportButtons filters={filters} />
      </div>
      {state.error && <ErrorBox error={state.error} />}
      {!state.error && state.loading && state.events.length === 0 && (
        <Skeleton rows={12} height={ROW} />
      )}
      {!state.loading &&
        state.events.length === 0 &&
        !state.error &&
        (state.empty ? (
          <FirstEvent />
        ) : (
          <Empty title="No events match">
            <p>Widen the time range or remove a filter.</p>
          </Empty>
        ))}
      {state.events.length > 0 && (
        <div class={current ? 'split with-detail' : 'split'}>
          <div
            class="log-table"
            role="table"
            aria-label="Events"
            aria-rowcount={state.total ?? state.events.length}
          >
            <div class="row head" role="row">
              {[
                ['timestamp', 'Time', 'c-time'],
                ['level', 'Severity', 'c-level'],
                ['service', 'Service', 'c-service'],
                ['', 'Type', 'c-what'],
                ['', 'Message', 'c-msg'],
                ['duration_ms', 'Duration', 'c-dur num'],
                ['cost_usd', 'Cost', 'c-cost num'],
              ].map(([by, label, cls]) => (
                <span
                  role="columnheader"
                  class={cls}
                  key={label}
                  aria-sort={
                    by && sort.sort_by === by
                      ? sort.sort_order === 'asc'
                        ? 'ascending'
                        : 'descending'
                      : undefined
                  }
                >
                  {by ? (
                    <button type="button" class="sort" onClick={() => setSort(by)}>
                      {label}
                      {sort.sort_by === by ? (sort.sort_order === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ) : (
                    label
                  )}
                </span>
              ))}
            </div>
            <div
              class={state.loading ? 'rows refreshing' : 'rows'}
              ref={box}
              tabIndex={0}
              onScroll={(e) => {
                const el = e.currentTarget
                setScrollTop(el.scrollTop)
                if (el.scrollTop + el.clientHeight > el.scrollHeight - ROW * 20) loadMore()
              }}
            >
              <div
                style={{
                  height: `${state.events.length * ROW + (state.cursor ? ROW : 0)}px`,
                  position: 'relative',
                }}
              >
                <div style={{ position: 'absolute', top: `${first * ROW}px`, left: 0, right: 0 }}>
                  {state.events.slice(first, last).map((e, k) => (
                    <Row
                      key={e.id}
                      e={e}
                      selected={first + k === selected}
                      onSelect={() => setSelected(first + k)}
                    />
                  ))}
                </div>
                {state.cursor && (
                  <div
                    class="more"
                    style={{
                      position: 'absolute',
                      top: `${state.events.length * ROW}px`,
                      height: `${ROW}px`,
                    }}
                  >
                    <button type="button" class="link" onClick={loadMore}>
                      Load more
                    </button>
                  </div>
                )}
              </div>
            </div>
          </div>
          {current && <EventDetail event={current} onClose={() => setSelected(-1)} />}
        </div>
      )}
    </div>
  )
}
