// 15m / 1h / 24h / 7d or a custom window; the choice lives in the URL.
import { useState } from 'preact/hooks'
import { navigate, withParams, type Location } from '../router.js'
import { parseWhen, RANGES, timeWindow, toLocalInput } from '../time.js'

export function TimeRange({ loc }: { loc: Location }) {
  const w = timeWindow(loc.params)
  const [custom, setCustom] = useState(false)
  const [from, setFrom] = useState(toLocalInput(w.startMs))
  const [to, setTo] = useState(toLocalInput(w.endMs))
  const pick = (range: string) =>
    navigate(withParams(loc, { range, from: undefined, to: undefined, cursor: undefined }))
  return (
    <div class="time-range" role="group" aria-label="Time range">
      {Object.keys(RANGES).map((r) => (
        <button
          type="button"
          key={r}
          class={w.range === r ? 'seg active' : 'seg'}
          aria-pressed={w.range === r}
          onClick={() => pick(r)}
        >
          {r}
        </button>
      ))}
      <button
        type="button"
        class={w.range === 'custom' ? 'seg active' : 'seg'}
        aria-pressed={w.range === 'custom'}
        aria-expanded={custom}
        onClick={() => {
          setFrom(toLocalInput(w.startMs))
          setTo(toLocalInput(w.endMs))
          setCustom(!custom)
        }}
      >
        {w.range === 'custom'
          ? `${toLocalInput(w.startMs).replace('T', ' ')} → ${toLocalInput(w.endMs).replace('T', ' ')}`
          : 'Custom'}
      </button>
      {custom && (
        <form
          class="popover custom-range"
          onSubmit={(e) => {
            e.preventDefault()
            const f = parseWhen(new Date(from).toISOString())
            const t = parseWhen(new Date(to).toISOString())
            if (f === undefined || t === undefined || t <= f) return
            setCustom(false)
            navigate(
              withParams(loc, {
                range: undefined,
                from: new Date(f).toISOString(),
                to: new Date(t).toISOString(),
              }),
            )
          }}
          onKeyDown={(e) => e.key === 'Escape' && setCustom(false)}
        >
          <label>
            From{' '}
            <input
              type="datetime-local"
              value={from}
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
          </label>
          <label>
            To{' '}
            <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary">
            Apply
          </button>
        </form>
      )}
    </div>
  )
}
