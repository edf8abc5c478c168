import type { Reporter, TestModule } from 'vitest/node'

/** How many of the slowest files the summary names: where the 15-minute budget of CI goes. */
const SLOWEST_SHOWN = 12

/**
 * Ends the run with the slowest test files (CI prints only the tail of a run, so the budget's
 * spending is visible there), then the plain line `N passed, N failed, N skipped` that CI reads.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const durations: [number, string][] = []
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed++
      durations.push([module.diagnostic().duration, module.moduleId])
    }
    const slowest = durations.sort((a, b) => b[0] - a[0]).slice(0, SLOWEST_SHOWN)
    const cwd = `${process.cwd()}/`
    const lines = slowest.map(
      ([ms, id]) => `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${id.replace(cwd, '')}`,
    )
    process.stdout.write(`\nslowest test files:\n${lines.join('\n')}\n`)
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
