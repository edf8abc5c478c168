import { setFlagsFromString } from 'node:v8'
import { BLOB_HEAP_GROWING_PERCENT } from './constants.ts'

let moving = 0

/**
 * Runs a blob transfer with room in V8's old generation. A transfer churns through buffers
 * (socket reads, ciphers, messages), some of which live long enough to be promoted; with the
 * small heap of a farm node (~20 MB live) V8 set the next full GC at about twice that, so a
 * 200 MB transfer ran 25 full GCs at each end, half of its CPU. With the limit at three times
 * the live heap it runs none. Only while a blob moves: elsewhere (a long ledger sync, an idle
 * node) V8's own growth policy keeps memory low. The limit is recomputed at each full GC, so
 * turning the factor on or off takes effect from the next one.
 */
export async function withHeapRoom<T>(transfer: () => Promise<T>): Promise<T> {
  if (moving++ === 0) setFlagsFromString(`--heap-growing-percent=${BLOB_HEAP_GROWING_PERCENT}`)
  try {
    return await transfer()
  } finally {
    if (--moving === 0) setFlagsFromString('--heap-growing-percent=0')
  }
}
