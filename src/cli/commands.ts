import type { Command } from './command.ts'

type Entry = { summary: string; load: () => Promise<{ command: Command }> }

/**
 * Every `farm` subcommand, imported lazily so that `farm --help` or `farm render` never load
 * libp2p, Ink or LevelDB. The summary is here too, so `farm --help` imports nothing at all.
 */
export const commands: Record<string, Entry> = {
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
  init: {
    summary: 'create a node home and a new swarm, and print an invite to it',
    load: () => import('./init.ts'),
  },
  invite: { summary: "print an invite to this node's swarm", load: () => import('./invite.ts') },
  admit: { summary: 'admit a node to the swarm by its peer id', load: () => import('./admit.ts') },
  remove: {
    summary: 'remove a node from the swarm: its later entries ignored, its connections refused',
    load: () => import('./remove.ts'),
  },
  rekey: {
    summary: "give the swarm a new key after an invite leaked (on the founder's home)",
    load: () => import('./rekey.ts'),
  },
  join: { summary: 'join a swarm and run this node until stopped', load: () => import('./join.ts') },
  peers: { summary: 'list connected peers with addresses and latency', load: () => import('./peers.ts') },
  ledger: {
    summary: "show the running node's ledger clock and whether it is in sync",
    load: () => import('./ledger.ts'),
  },
  submit: {
    summary: 'submit an animation to the farm; prints the job id',
    load: () => import('./submit.ts'),
  },
  estimate: {
    summary: "render a few frames here to estimate a job's WU, cost and ETA before submitting",
    load: () => import('./estimate.ts'),
  },
  jobs: { summary: "list the farm's jobs with their progress", load: () => import('./jobs.ts') },
  status: { summary: "show a job's frames, workers and errors", load: () => import('./status.ts') },
  workers: { summary: 'list the nodes of the swarm and their speed', load: () => import('./workers.ts') },
  pause: { summary: 'pause this node: it claims no new frames', load: () => import('./pause.ts') },
  resume: { summary: 'resume this node after `farm pause`', load: () => import('./resume.ts') },
  fetch: { summary: "get a stitched job's video", load: () => import('./fetch.ts') },
  cancel: { summary: 'cancel a job this node submitted', load: () => import('./cancel.ts') },
  reprice: {
    summary: "change a job's price per WU (reorders the queue)",
    load: () => import('./reprice.ts'),
  },
  logs: { summary: "show the renderer's output for a failed frame", load: () => import('./logs.ts') },
  credits: { summary: 'show credit balances and the hall of fame', load: () => import('./credits.ts') },
  capture: {
    summary: 'capture camera frames on a schedule into daily timelapses',
    load: () => import('./capture.ts'),
  },
  events: {
    summary: "stream a running capture's or node's events, for scripts",
    load: () => import('./events.ts'),
  },
  demo: {
    summary: 'run a swarm of 3 nodes on this machine and render the bundled POV-Ray example',
    load: () => import('./demo.ts'),
  },
  serve: {
    summary: 'serve the timelapses (and the farm jobs) in a browser',
    load: () => import('./serve.ts'),
  },
}
