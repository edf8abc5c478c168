import { defineConfig } from 'vitest/config'

// Unit tests are fast and need no processes; the multi-process, e2e and adversarial suites
// spawn real `farm` nodes, renderers and ffmpeg, so they get longer timeouts. The adversarial
// suite is hostile input (crafted entries, scenes, archives, PNGs, peers) against real nodes.
// The container test spends most of its minutes building an image (debootstrap downloads and
// unpacks Debian), so it is a project of its own.
//
// On a 2-core machine vitest's default is one worker. Run one file at a time, the suite took
// 46 minutes in CI: most of a farm test is nodes waiting for each other (leases, syncs, polls),
// not rendering. Three workers overlap those waits; every test makes its own homes, ports,
// namespaces and temp dirs, and looks only for its own processes, so files can share a machine.
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
        },
      },
    ],
  },
})
