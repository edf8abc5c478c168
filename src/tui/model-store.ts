import { safeStrings } from '../ledger/index.ts'
import type { DashboardModel, ModelSource } from './model.ts'

export interface ModelStore extends ModelSource {
  set(model: DashboardModel): void
  update(change: (model: DashboardModel) => DashboardModel): void
}

/** The simplest ModelSource: the farm side sets whole models; subscribers hear of every set. */
export function createModelStore(initial: DashboardModel): ModelStore {
  let current = safeStrings(initial)
  const listeners = new Set<() => void>()
  // Everything the dashboard draws passes here: names other nodes wrote cannot move the cursor.
  const set = (model: DashboardModel) => {
    current = safeStrings(model)
    for (const listener of listeners) listener()
  }
  return {
    get: () => current,
    set,
    update: (change) => set(change(current)),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
