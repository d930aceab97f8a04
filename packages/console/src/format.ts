// Numbers, times and money as people read them.

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms === 0) return '0'
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`
  if (ms < 10) return `${ms.toFixed(2)}ms`
  if (ms < 1000) return `${ms.toFixed(ms < 100 ? 1 : 0)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`
  return `${(ms / 60_000).toFixed(1)}min`
}

export function fmtCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '–'
  if (usd === 0) return '$0'
  if (usd < 0.01) return `$${usd.toPrecision(2)}`
  return `$${usd.toFixed(usd < 100 ? 2 : 0)}`
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–'
  return Math.round(n).toLocaleString('en-US')
}

export function fmtCompact(n: number): string {
  if (Math.abs(n) < 1000) return String(Math.round(n * 100) / 100)
  return Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

export function fmtPct(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–'
  const p = rate * 100
  return `${p < 10 && p > 0 ? p.toFixed(1) : p.toFixed(0)}%`
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** `2026-12-03 08:05:35.513` in the viewer's time zone. */
export function fmtTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  )
}

/** `5 min ago`, `3 h ago`, `2 d ago`. */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–'
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000)
  if (s < 60) return `${Math.round(s)} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86_400)} d ago`
}

/** Strip terminal and other control characters from text shown as-is. */
export function clean(text: unknown): string {
  return String(text ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�')
}
