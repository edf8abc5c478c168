import { defineConfig } from 'vitest/config'

// Unit tests are fast and need no processes; the multi-process, e2e and adversarial suites
// spawn real `farm` nodes, renderers and ffmpeg, so they get longer timeouts and each runs one
// file at a time. The adversarial suite is hostile input (crafted entries, scenes, archives,
// PNGs, peers) against real nodes. The container test spends most of its minutes building an
// image (debootstrap downloads and unpacks Debian), so it is a project of its own.
//
// On a 2-core machine vitest's default is one worker for everything, which runs the projects
// one after another: three workers let one file of each suite run at once, so the container
// build and the nodes' waits for each other overlap the renders of the other suites.
export default defineConfig({
  test: {
    maxWorkers: 3,
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
          exclude: ['test/integration/deploy-containers.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'containers',
          include: ['test/integration/deploy-containers.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
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
