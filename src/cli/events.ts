import { resolve } from 'node:path'
import { CaptureError, type CaptureEvent, captureSocketPath, formatCaptureEvent } from '../capture/index.ts'
import { formatEvent, subscribeNode, subscribeSocket } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { onStopSignal } from './signals.ts'

const help = `Usage: farm events --follow [--dir DIR | --home HOME] [--json]

Streams the events of a running capture (--dir: the directory \`farm capture\` writes) or node
(--home: a \`farm join\` or \`farm capture --share\`), one line each, as they happen, until
Ctrl-C or until that process stops. Nothing is kept: there is no history to replay.

Capture events: frame:saved, frame:missed, timelapse:rebuilt, day:finalized, day:pruned,
backup:failed. Node events: job:submitted, job:stitched, job:failed, job:cancelled,
frame:claimed, frame:rendered, frame:failed, frame:verified, worker:blocked, peer:joined,
peer:left, entries:synced, and log lines.

Options:
  --follow     stream events (required)
  --dir DIR    follow the capture writing DIR
  --home DIR   follow the node of this home (default: $FARM_HOME or ~/.farm)
  --json       one JSON object per line: ts, level and type first, then the event's fields

Examples:
  farm events --follow --dir ~/timelapse --json | jq -r 'select(.type=="frame:saved") | .path'
  farm events --follow --home ~/.farm
`

export const command: Command = {
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('events', argv, {
      follow: { type: 'boolean' },
      dir: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0) throw new UsageError(`farm events: unexpected '${positionals[0]}'.`)
    if (!values.follow)
      throw new UsageError('farm events: give --follow: events are streamed as they happen, none are kept.')
    if (values.dir !== undefined && values.home !== undefined)
      throw new UsageError('farm events: give --dir (a capture) or --home (a node), not both.')
    const format = values.json ? 'json' : 'human'
    const dir = values.dir === undefined ? undefined : resolve(values.dir)
    const stream =
      dir !== undefined
        ? mapped(
            subscribeSocket(captureSocketPath(dir), () => CaptureError.NOT_CAPTURING(dir)),
            (e) => formatCaptureEvent(e as CaptureEvent, format),
          )
        : mapped(subscribeNode(resolveHome(values.home)), (e) =>
            formatEvent(e as Parameters<typeof formatEvent>[0], format),
          )
    // Ctrl-C ends the stream; it holds nothing but a socket, which the exit closes.
    const release = onStopSignal(() => process.exit(0))
    try {
      for await (const line of stream) process.stdout.write(`${line}\n`)
    } finally {
      release()
    }
    return 0
  },
}

async function* mapped<T>(events: AsyncGenerator<unknown>, line: (event: unknown) => T): AsyncGenerator<T> {
  try {
    for await (const event of events) yield line(event)
  } finally {
    await events.return(undefined)
  }
}
