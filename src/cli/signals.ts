/**
 * Calls `onStop` at every SIGINT or SIGTERM until the returned function removes the listeners;
 * `onStop` must be idempotent (an abort, a resolve). The listeners stay installed throughout:
 * exit hooks such as execa's (signal-exit) re-raise a signal when they find no other listener
 * left, so a `once` listener, already gone when they run, lets the signal kill the process in
 * the middle of its clean stop.
 */
export function onStopSignal(onStop: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGINT', onStop)
  process.on('SIGTERM', onStop)
  return () => {
    process.off('SIGINT', onStop)
    process.off('SIGTERM', onStop)
  }
}
