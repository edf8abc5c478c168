import type { Reporter, TestModule } from 'vitest/node'

/** How many of the slowest files the summary names: where the 15-minute budget of CI goes. */
const SLOWEST_SHOWN = 12

/**
 * Ends the run with the slowest test files and each project's total (CI prints only the tail of
 * a run, so the budget's spending is visible there), every failed test by name, then the plain
 * line `N passed, N failed, N skipped` that CI reads.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const durations: [number, string][] = []
    const projects = new Map<string, number>()
    const failed: string[] = []
    const cwd = `${process.cwd()}/`
    for (const module of testModules) {
      const file = module.moduleId.replace(cwd, '')
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') {
          counts.failed++
          failed.push(`  ${file} > ${test.fullName}`)
        } else counts.skipped++
      }
      if (module.state() === 'failed' && module.children.size === 0) {
        counts.failed++
        failed.push(`  ${file} (the file failed before its tests ran)`)
      }
      const ms = module.diagnostic().duration
      durations.push([ms, file])
      const project = module.project.name
      projects.set(project, (projects.get(project) ?? 0) + ms)
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(7)} s`
    const slowest = durations.sort((a, b) => b[0] - a[0]).slice(0, SLOWEST_SHOWN)
    const lines = slowest.map(([ms, file]) => `  ${seconds(ms)}  ${file}`)
    const totals = [...projects].map(([name, ms]) => `  ${seconds(ms)}  ${name} (all its files)`)
    process.stdout.write(`\nslowest test files:\n${lines.join('\n')}\n${totals.join('\n')}\n`)
    if (failed.length > 0) process.stdout.write(`\nfailed:\n${failed.join('\n')}\n`)
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
