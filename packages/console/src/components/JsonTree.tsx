// A folding JSON tree: objects and arrays open to two levels, each node copyable.
import { useState } from 'preact/hooks'
import { clean } from '../format.js'

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false)
  return (
    <button
      type="button"
      class="copy"
      aria-label={label}
      title={label}
      onClick={(e) => {
        e.stopPropagation()
        void navigator.clipboard?.writeText(text).then(
          () => {
            setDone(true)
            setTimeout(() => setDone(false), 1200)
          },
          () => {},
        )
      }}
    >
      {done ? 'Copied' : label}
    </button>
  )
}

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span class="j-null">null</span>
  if (typeof value === 'string') {
    const redacted = /\[REDACTED[^\]]*\]/.test(value)
    return <span class={redacted ? 'j-str j-redacted' : 'j-str'}>"{clean(value)}"</span>
  }
  if (typeof value === 'number') return <span class="j-num">{String(value)}</span>
  if (typeof value === 'boolean') return <span class="j-bool">{String(value)}</span>
  return <span>{clean(JSON.stringify(value))}</span>
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const composite = value !== null && typeof value === 'object'
  const [open, setOpen] = useState(depth < 2)
  const label = name === null ? null : <span class="j-key">{clean(name)}: </span>
  if (!composite)
    return (
      <div class="j-row">
        {label}
        <Leaf value={value} />
      </div>
    )
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>)
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  return (
    <div class="j-row">
      <button
        type="button"
        class="j-toggle"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        aria-label={`${open ? 'Fold' : 'Unfold'} ${name ?? 'value'}`}
      >
        {open ? '▾' : '▸'}
      </button>
      {label}
      <span class="j-punct">{brackets[0]}</span>
      {!open && (
        <span class="j-more" onClick={() => setOpen(true)}>
          {entries.length} {entries.length === 1 ? 'item' : 'items'}
          {brackets[1]}
        </span>
      )}
      {open && (
        <div class="j-children">
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} />
          ))}
          <span class="j-punct">{brackets[1]}</span>
        </div>
      )}
      {depth > 0 && open && <CopyButton text={JSON.stringify(value, null, 2)} label="Copy" />}
    </div>
  )
}

export function JsonTree({ value }: { value: unknown }) {
  return (
    <div class="json-tree">
      <Node name={null} value={value} depth={0} />
    </div>
  )
}
