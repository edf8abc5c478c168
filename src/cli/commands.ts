import type { Command } from './command.ts'

/**
 * Every `farm` subcommand, imported lazily so that `farm --help` or `farm render` never load
 * libp2p, Ink or LevelDB. The summary is here too, so `farm --help` imports nothing at all.
 */
export const commands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  capture: {
    summary: 'Capture camera frames on a schedule into daily timelapses',
    load: () => import('./capture.ts'),
  },
  serve: {
    summary: 'Serve the timelapses (and the farm jobs) in a browser',
    load: () => import('./serve.ts'),
  },
}
