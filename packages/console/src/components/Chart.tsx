// Time-series charts on uPlot: small, fast, canvas-drawn. A click on a bucket calls `onPick`
// with the bucket and the series under the pointer: the "click the spike" flow starts here.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export const PALETTE = [
  '#4f7cff',
  '#f2994a',
  '#27ae60',
  '#eb5757',
  '#9b51e0',
  '#2d9cdb',
  '#f2c94c',
  '#6fcf97',
  '#bb6bd9',
  '#828282',
]

export interface Series {
  label: string
  values: (number | null)[]
  color?: string
}

export interface ChartProps {
  /** Accessible name of the chart. */
  title: string
  /** Bucket starts, ms since the epoch. */
  x: number[]
  series: Series[]
  /** Draw the series on top of each other (counts by group). */
  stacked?: boolean
  /** Bars instead of lines. */
  bars?: boolean
  height?: number
  format?: (v: number) => string
  /** Clicked bucket index and the series under the pointer (null when none). */
  onPick?: (index: number, series: number | null) => void
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return v || fallback
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const propsRef = useRef(props)
  propsRef.current = props

  useEffect(() => {
    const el = box.current
    if (!el) return
    const { x, series, stacked, bars, height = 180, format } = props
    // cumulative values for stacking; raw values stay in the legend
    const shown = series.map((s) => s.values.slice())
    if (stacked)
      for (let i = 1; i < shown.length; i++)
        shown[i] = shown[i]!.map((v, k) => (v ?? 0) + (shown[i - 1]![k] ?? 0))
    const axis = cssVar('--muted', '#888')
    const grid = cssVar('--grid', 'rgba(128,128,128,0.15)')
    const fmt = format ?? ((v: number) => String(v))
    const barPaths = bars ? uPlot.paths.bars!({ size: [0.7, 40] }) : undefined
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      legend: { show: true, live: true },
      cursor: { points: { show: !bars }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
        {
          stroke: axis,
          grid: { stroke: grid },
          ticks: { stroke: grid },
          size: 56,
          values: (_u, vals) => vals.map((v) => fmt(v)),
        },
      ],
      series: [
        {},
        ...series.map((s, i) => {
          const color = s.color ?? PALETTE[i % PALETTE.length]!
          return {
            label: s.label,
            stroke: color,
            width: bars ? 0 : 1.5,
            fill: stacked || bars ? color + (bars ? 'cc' : '55') : undefined,
            // isolated values are invisible as lines: dot them when the series is sparse
            points: {
              show: !bars && s.values.filter((v) => v !== null).length < 40,
              size: 5,
              fill: color,
            },
            spanGaps: false,
            ...(barPaths ? { paths: barPaths } : {}),
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => {
              const raw = idx === null ? null : (series[i]!.values[idx] ?? null)
              return raw === null ? '–' : fmt(raw)
            },
          } as uPlot.Series
        }),
      ],
    }
    // stacked: draw the top band first so each lower one paints over it
    const data: uPlot.AlignedData = [x.map((t) => t / 1000), ...shown] as uPlot.AlignedData
    if (stacked) {
      opts.series = [opts.series[0]!, ...opts.series.slice(1).reverse()]
      data.splice(1, shown.length, ...shown.slice().reverse())
    }
    const plot = new uPlot(opts, data, el)
    // the instance, for tests and for debugging from the devtools console
    Object.defineProperty(el, 'uplot', { value: plot, configurable: true })
    plot.root.setAttribute('role', 'img')
    plot.root.setAttribute('aria-label', props.title)

    const over = plot.over
    const onClick = () => {
      const idx = plot.cursor.idx
      if (idx === null || idx === undefined) return
      const pick = propsRef.current.onPick
      if (!pick) return
      let which: number | null = null
      const top = plot.cursor.top
      if (top !== undefined && top >= 0) {
        const yVal = plot.posToVal(top, 'y')
        if (stacked) {
          for (let i = 0; i < shown.length; i++)
            if ((series[i]!.values[idx] ?? 0) > 0 && yVal <= (shown[i]![idx] ?? 0)) {
              which = i
              break
            }
        } else if (series.length === 1) which = 0
      }
      pick(idx, which)
    }
    over.addEventListener('click', onClick)
    over.style.cursor = props.onPick ? 'pointer' : 'default'
    const ro = new ResizeObserver(() => {
      if (el.clientWidth > 0) plot.setSize({ width: el.clientWidth, height })
    })
    ro.observe(el)
    return () => {
      ro.disconnect()
      over.removeEventListener('click', onClick)
      plot.destroy()
    }
  }, [props.x, props.series, props.stacked, props.bars, props.height])

  return <div class="chart" ref={box} style={{ minHeight: `${(props.height ?? 180) + 40}px` }} />
}

/** A tiny inline bar chart for tables (error groups). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values)
  const w = 120
  const h = 24
  const bw = w / Math.max(1, values.length)
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      {values.map((v, i) =>
        v > 0 ? (
          <rect
            key={i}
            x={i * bw + 0.5}
            y={h - Math.max(1.5, (v / max) * h)}
            width={Math.max(1, bw - 1)}
            height={Math.max(1.5, (v / max) * h)}
          />
        ) : null,
      )}
    </svg>
  )
}
