import type { Command } from './command.ts'

/**
 * Every `farm` subcommand, imported lazily so that `farm --help` or `farm render` never load
 * libp2p, Ink or LevelDB. The summary is here too, so `farm --help` imports nothing at all.
 */
export const commands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  render: {
    summary: 'render an animation on this machine and stitch an MP4 (no network)',
    load: () => import('./render.ts'),
  },
  doctor: {
    summary: 'show which renderers and tools are installed, and how to get the missing ones',
    load: () => import('./doctor.ts'),
  },
  bench: {
    summary: "measure this machine's speed in WUPM (work units per minute), per renderer",
    load: () => import('./bench.ts'),
  },
}
