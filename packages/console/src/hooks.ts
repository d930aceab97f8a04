import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api.js'

export interface Loaded<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  reload(): void
}

/**
 * Run `load` when `key` changes; a newer call aborts the older one, so a slow answer never
 * overwrites a newer view. The previous data stays shown while the next loads (no layout jump).
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({
    loading: true,
  })
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    const ctl = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, loading: false })
      },
      (error: unknown) => {
        if (ctl.signal.aborted) return
        const e =
          error instanceof ApiError ? error : new ApiError(0, 'error', (error as Error).message)
        setState((s) => ({ ...s, error: e, loading: false }))
      },
    )
    return () => ctl.abort()
  }, [key, tick])
  return {
    data: state.data,
    error: state.error,
    loading: state.loading,
    reload: () => setTick((t) => t + 1),
  }
}

export function useInterval(fn: () => void, ms: number | null): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => {
    if (ms === null) return
    const id = setInterval(() => ref.current(), ms)
    return () => clearInterval(id)
  }, [ms])
}
