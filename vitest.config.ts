import { defineConfig } from 'vitest/config'

// Unit tests are fast and need no processes; the multi-process, e2e and adversarial suites
// spawn real `farm` nodes, renderers and ffmpeg, so they get longer timeouts and run one file
// at a time on this 2-core machine. The adversarial suite is hostile input (crafted entries,
// scenes, archives, PNGs, peers) against real nodes.
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.{ts,tsx}'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'adversarial',
          include: ['test/adversarial/**/*.test.{ts,tsx}'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
