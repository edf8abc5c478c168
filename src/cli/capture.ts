import { join, resolve } from 'node:path'
import {
  buildSameTime,
  CaptureError,
  type CaptureLog,
  Capturer,
  type CapturerInit,
  captureSchedule,
  checkTimeZone,
  describeSource,
  frameDays,
  grabber,
  parseDay,
  parsePlace,
  parseSource,
  publicSourceName,
  runCaptureDaemon,
  SAME_TIME_FPS,
  verifyCaptures,
} from '../capture/index.ts'
import type { Sharing } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { onStopSignal } from './signals.ts'

const options = {
  source: { type: 'string' },
  hourly: { type: 'boolean' },
  cron: { type: 'string' },
  dir: { type: 'string' },
  home: { type: 'string' },
  tz: { type: 'string' },
  fps: { type: 'string' },
  timeout: { type: 'string' },
  'skip-dark': { type: 'boolean' },
  'dark-level': { type: 'string' },
  daylight: { type: 'string' },
  'keep-days': { type: 'string' },
  'min-free': { type: 'string' },
  once: { type: 'boolean' },
  rebuild: { type: 'boolean' },
  span: { type: 'string' },
  at: { type: 'string' },
  json: { type: 'boolean' },
  share: { type: 'boolean' },
  backup: { type: 'string' },
  peers: { type: 'boolean' },
} as const

const help = `Usage: farm capture --source SRC [--hourly | --cron "EXPR"] [options]
       farm capture --once --source SRC [options]
       farm capture --rebuild [YYYY-MM-DD] [--dir DIR]
       farm capture --rebuild --span 2026-11 --at 12:00 [--fps N] [--dir DIR]
       farm capture verify [--dir DIR] [--json]
       farm capture verify --peers --home HOME [--dir DIR] [--json]

Takes a frame on a schedule, saves it as frames/YYYY-MM-DD/HHmmss.jpg with a thumbnail and a
manifest entry, and rebuilds that day's timelapse/YYYY-MM-DD.mp4. A failed capture is logged and
counted in the day's manifest; the next tick tries again.

Sources:
  http://... https://...   a snapshot URL (must answer 200 with image/jpeg or image/png)
  cmd:COMMAND              a shell command writing a JPEG or PNG to stdout, e.g. cmd:libcamera-still -n -o -
  v4l2:/dev/videoN         a V4L2 camera, read through ffmpeg
  test:[WxH]               a generated test pattern with the time on it (default 640x480)

Options:
  --source SRC        where frames come from (see above)
  --hourly            capture on the hour (the default schedule)
  --cron EXPR         capture on this cron schedule instead; 6 fields for seconds
  --dir DIR           capture directory (default: <home>/capture)
  --home DIR          farm home (default: $FARM_HOME or ~/.farm)
  --tz ZONE           time zone for day folders and the schedule (default: the system's)
  --fps N             timelapse frames per second (default 24)
  --timeout S         seconds a source may take per frame (default 30)
  --skip-dark         drop frames darker than --dark-level
  --dark-level P      mean brightness in percent under which a frame is dark (default 8)
  --daylight LAT,LON  capture only between sunrise and sunset at this place
  --keep-days N       delete frames (not timelapses) of days older than N days
  --min-free MB       write no frames while less than MB megabytes are free
  --once              take one frame now, print its path, and exit
  --rebuild [DAY]     rebuild the timelapse of DAY, or of every day, from the frames on disk
  --span SPAN --at HH:MM
                      with --rebuild: one frame per day of SPAN (2026, 2026-11, or
                      2026-11-01..2026-12-15), the one nearest HH:MM, as
                      timelapse/same-time/SPAN-at-HHMM.mp4 (--fps default 10)
  --json              verify: print the report as JSON
  --share             also offer each frame to the swarm of --home (made by \`farm init\` or
                      \`farm join <invite>\`): the image as a blob and a \`capture\` ledger entry,
                      so nodes keeping backups copy it
  --backup DIR        with --share: keep copies of the frames OTHER nodes share, in
                      DIR/<node>/frames/DAY/HHmmss.jpg (never this node's own frames: those are in
                      --dir); must not overlap --dir
  --peers             verify: check that this node announced every frame and that each connected
                      peer keeping backups holds a copy

Examples:
  farm capture --hourly --source cmd:"libcamera-still -n -o -" --dir /srv/timelapse --keep-days 30
  farm capture --cron "*/10 * * * *" --source http://cam.local/snapshot.jpg --daylight 48.85,2.35
  farm capture verify --dir /srv/timelapse
  farm capture --rebuild --span 2026 --at 12:00 --dir /srv/timelapse
  farm capture --hourly --source http://cam.local/snapshot.jpg --share --home ~/.farm
  farm capture verify --peers --home ~/.farm
`

type Values = ReturnType<typeof parse>['values']

function parse(argv: string[]) {
  return parseCommandArgs('capture', argv, options)
}

const flags = flagsOf('capture')

function homeDir(values: Values): string {
  return resolveHome(values.home)
}

function captureDir(values: Values): string {
  return values.dir !== undefined ? resolve(values.dir) : join(homeDir(values), 'capture')
}

const log: CaptureLog = (level, message) => {
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`)
}

function capturerFrom(
  values: Values,
  dir: string,
  needSource: boolean,
  hooks: Pick<CapturerInit, 'onSaved' | 'onPruned'> = {},
): Capturer {
  if (needSource && values.source === undefined) {
    throw new UsageError(
      'farm capture: --source is required, e.g. --source test: or --source http://camera/snapshot.jpg.',
    )
  }
  const spec = parseSource(values.source ?? 'test:')
  const darkPercent = flags.between('dark-level', values['dark-level'], 0, 100) ?? 8
  const timeoutS = flags.positive('timeout', values.timeout) ?? 30
  return new Capturer({
    dir,
    grab: grabber(spec, timeoutS * 1000),
    sourceName: describeSource(spec),
    timeZone: checkTimeZone(values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone),
    fps: flags.positive('fps', values.fps),
    skipDarkBelow: values['skip-dark'] ? (darkPercent / 100) * 255 : undefined,
    daylight: values.daylight === undefined ? undefined : parsePlace(values.daylight),
    keepDays: flags.whole('keep-days', values['keep-days']),
    minFreeMb: flags.positive('min-free', values['min-free']),
    timeoutMs: timeoutS * 1000,
    log,
    ...hooks,
  })
}

async function verify(values: Values, dir: string): Promise<number> {
  if (values.peers) {
    const { verifyOnPeers } = await import('./capture-share.ts')
    return verifyOnPeers(homeDir(values), dir, values.json === true)
  }
  const report = await verifyCaptures(dir)
  if (report.days === 0) throw CaptureError.NO_FRAMES(join(dir, 'frames'))
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  } else {
    for (const p of report.problems)
      process.stdout.write(`${p.problem.padEnd(10)} ${p.day}/${p.file}: ${p.detail}\n`)
    process.stdout.write(
      `${report.ok} of ${report.frames} recorded frames in ${report.days} days are intact; ${report.problems.length} problems\n`,
    )
  }
  return report.problems.length === 0 ? 0 : 1
}

async function rebuild(values: Values, dir: string, days: string[]): Promise<number> {
  const capturer = capturerFrom(values, dir, false)
  const chosen = days.length > 0 ? days.map(parseDay) : await frameDays(dir)
  if (chosen.length === 0) throw CaptureError.NO_FRAMES(join(dir, 'frames'))
  let failed = 0
  for (const day of chosen) {
    const frames = await capturer.rebuild(day).catch((err: Error) => {
      log('error', `timelapse ${day} not rebuilt: ${err.message}`)
      failed++
      return -1
    })
    if (frames === 0) log('warn', `day ${day} has no frames on disk: timelapse left as it was`)
    if (frames > 0) process.stdout.write(`${join(dir, 'timelapse', `${day}.mp4`)}\n`)
  }
  return failed === 0 ? 0 : 1
}

/** `--rebuild --span --at`: the same-time video, which the viewer's same-time page builds too. */
async function rebuildSameTime(values: Values, dir: string, positionals: string[]): Promise<number> {
  if (values.span === undefined || values.at === undefined || positionals.length > 0) {
    throw new UsageError(
      'farm capture: --rebuild --span SPAN --at HH:MM go together, without a day, e.g. --rebuild --span 2026-11 --at 12:00.',
    )
  }
  const result = await buildSameTime({
    dir,
    span: values.span,
    at: values.at,
    fps: flags.positive('fps', values.fps) ?? SAME_TIME_FPS,
  })
  const skipped =
    result.skipped.length === 0 ? '' : `; no frame near ${values.at} on ${result.skipped.join(', ')}`
  log(
    'info',
    `same-time video of ${result.days.length} days (${result.days[0]} to ${result.days.at(-1)})${skipped}`,
  )
  process.stdout.write(`${result.path}\n`)
  return 0
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv)
  const dir = captureDir(values)
  if (positionals[0] === 'verify') return verify(values, dir)
  if (values.rebuild && (values.span !== undefined || values.at !== undefined))
    return rebuildSameTime(values, dir, positionals)
  if (values.rebuild) return rebuild(values, dir, positionals)
  if (values.span !== undefined || values.at !== undefined) {
    throw new UsageError(
      'farm capture: --span and --at belong to `farm capture --rebuild --span SPAN --at HH:MM`.',
    )
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `farm capture: unexpected '${positionals[0]}'. Run \`farm capture --help\` for its usage.`,
    )
  }
  if (values.hourly && values.cron !== undefined) {
    throw new UsageError('farm capture: give --hourly or --cron, not both.')
  }
  if (values.peers) throw new UsageError('farm capture: --peers belongs to `farm capture verify --peers`.')
  if (values.backup !== undefined && !values.share) {
    throw new UsageError(
      'farm capture: --backup keeps copies of the frames other nodes share, which needs the swarm: add --share --home HOME.',
    )
  }
  let sharing: Sharing | undefined
  const capturer = capturerFrom(values, dir, true, {
    onSaved: async (day, frame) => sharing?.onSaved(day, frame),
    onPruned: async (day, frames) => sharing?.onPruned(day, frames),
  })
  if (values.share) {
    const { checkBackupDir, startSharing } = await import('../farm/index.ts')
    sharing = await startSharing({
      home: homeDir(values),
      dir,
      source: publicSourceName(parseSource(values.source!)),
      backup: values.backup === undefined ? undefined : checkBackupDir(values.backup, dir),
      log,
    })
  }
  try {
    return await capture(values, dir, capturer)
  } finally {
    await sharing?.stop()
  }
}

async function capture(values: Values, dir: string, capturer: Capturer): Promise<number> {
  if (values.once) {
    await capturer.recover()
    const outcome = await capturer.tick()
    if (outcome.status === 'saved') {
      process.stdout.write(`${join(dir, 'frames', outcome.day, outcome.frame.file)}\n`)
      return 0
    }
    // A dark frame or a capture outside the daylight window is the schedule working, not a failure.
    const skipped =
      outcome.status === 'night' || (outcome.status === 'missed' && outcome.miss.reason === 'dark')
    return skipped ? 0 : 1
  }
  const cron = captureSchedule({ hourly: values.hourly, cron: values.cron })
  const controller = new AbortController()
  const releaseSignals = onStopSignal(() => controller.abort())
  log(
    'info',
    `capturing from ${describeSource(parseSource(values.source!))} on '${cron}' (${capturer.timeZone}) into ${dir}`,
  )
  await runCaptureDaemon(capturer, {
    cron,
    signal: controller.signal,
    log,
    onNextRun: (next) =>
      log('info', next ? `next capture at ${next.toISOString()}` : 'no further capture scheduled'),
  })
  releaseSignals()
  log('info', 'stopped')
  return 0
}

export const command: Command = {
  help,
  run,
}
