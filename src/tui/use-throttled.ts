import { useEffect, useState } from 'react'
import type { ModelSource } from './model.ts'

/**
 * The source's latest model, re-read at most once per `intervalMs` however often it changes: a
 * burst of ledger entries costs one render, not one per entry. The first change after a quiet
 * spell shows at once; changes during the wait are folded into one render when it ends.
 */
export function useThrottled<T>(
  source: Pick<ModelSource, 'subscribe'> & { get(): T },
  intervalMs: number,
): T {
  const [value, setValue] = useState(() => source.get())
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let last = Number.NEGATIVE_INFINITY
    const flush = () => {
      timer = undefined
      last = Date.now()
      setValue(source.get())
    }
    const unsubscribe = source.subscribe(() => {
      if (timer !== undefined) return
      const wait = last + intervalMs - Date.now()
      if (wait <= 0) flush()
      else timer = setTimeout(flush, wait)
    })
    // A change between the first render and subscribing would otherwise wait for the next one.
    setValue(source.get())
    return () => {
      unsubscribe()
      clearTimeout(timer)
    }
  }, [source, intervalMs])
  return value
}
