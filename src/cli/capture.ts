import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  buildSameTime,
  CaptureError,
  type CaptureEvent,
  type CaptureLog,
  Capturer,
  type CapturerInit,
  CaptureSocket,
  captureSchedule,
  checkTimeZone,
  describeSource,
  EventHooks,
  frameDays,
  grabber,
  hookSecrets,
  ONCE_HOOKS_GRACE_MS,
  parseDay,
  parsePlace,
  parseSource,
  publicSourceName,
  type Redact,
  RemoteBackup,
  redactDeep,
  redactor,
  remoteSecrets,
  runCaptureDaemon,
  SAME_TIME_FPS,
  sourceSecrets,
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
  'backup-remote': { type: 'string' },
  'backup-bwlimit': { type: 'string' },
  'backup-retry': { type: 'string' },
  remote: { type: 'string' },
  sample: { type: 'string' },
  'on-event': { type: 'string' },
  webhook: { type: 'string' },
} as const

const help = `Usage: farm capture --source SRC [--hourly | --cron "EXPR"] [options]
       farm capture --once --source SRC [options]
       farm capture --rebuild [YYYY-MM-DD] [--dir DIR]
       farm capture --rebuild --span 2026-11 --at 12:00 [--fps N] [--dir DIR]
       farm capture verify [--dir DIR] [--json]
       farm capture verify --peers --home HOME [--dir DIR] [--json]
       farm capture verify --remote REMOTE:path [--sample N|all] [--dir DIR] [--json]

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
  --backup-remote R   upload every frame, thumbnail, manifest and timelapse to the rclone remote R
                      (a remote of \`rclone config\` with a path, e.g. garden:bucket/pi, or a
                      connection string, e.g. :s3,provider=Other,endpoint=https://...:bucket/pi)
                      after each capture, in the background; a queue in DIR/backup-remote/ keeps
                      what waits across restarts and outages; with --keep-days, frames are deleted
                      only once the remote holds them
  --backup-bwlimit B  rclone's --bwlimit for the uploads: 1M, 512k, "08:00,256k 20:00,off"
  --backup-retry S    while the remote fails, wait at most S seconds between two tries
                      (default 600; the wait starts at 10 s and doubles)
  --remote R          verify: compare every file's size and hash with the rclone remote R (the
                      remote's own hash where it keeps one, else a downloaded sample)
  --sample N          verify --remote: files to download and hash when the remote keeps no hash
                      (default 20; all for every file)
  --on-event CMD      run CMD for each event (frame:saved, frame:missed, timelapse:rebuilt,
                      day:finalized, day:pruned, backup:failed): no shell, the event's JSON on
                      stdin, FARM_EVENT, FARM_FRAME (a frame's path), FARM_VIDEO, FARM_DAY set
  --webhook URL       POST each event's JSON to URL (retried 5 times; never holds up a capture)

While it runs, \`farm events --follow --dir DIR\` streams its events (through DIR/capture.sock,
which also keeps a second capture off the same directory).

Examples:
  farm capture --hourly --source cmd:"libcamera-still -n -o -" --dir /srv/timelapse --keep-days 30
  farm capture --cron "*/10 * * * *" --source http://cam.local/snapshot.jpg --daylight 48.85,2.35
  farm capture verify --dir /srv/timelapse
  farm capture --rebuild --span 2026 --at 12:00 --dir /srv/timelapse
  farm capture --hourly --source http://cam.local/snapshot.jpg --share --home ~/.farm
  farm capture verify --peers --home ~/.farm
  farm capture --hourly --source test: --backup-remote garden:pi-backup --backup-bwlimit 512k
  farm capture verify --remote garden:pi-backup
  farm capture --hourly --source test: --on-event "examples/hooks/post-video.sh" --webhook https://hooks.example/farm
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

/**
 * Every secret the options carry (a camera URL's, the remote's, the webhook's), and the log that
 * writes no line with one of them in it.
 */
function outputOf(values: Values): { redact: Redact; log: CaptureLog } {
  const source = values.source === undefined ? undefined : parseSource(values.source)
  const redact = redactor([
    ...(source === undefined ? [] : sourceSecrets(source)),
    ...remoteSecrets(values['backup-remote'] ?? values.remote ?? ''),
    ...(values.webhook === undefined || !URL.canParse(values.webhook)
      ? []
      : hookSecrets({ webhook: values.webhook })),
  ])
  const log: CaptureLog = (level, message) => {
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${redact(message)}\n`)
  }
  return { redact, log }
}

function capturerFrom(
  values: Values,
  dir: string,
  needSource: boolean,
  log: CaptureLog,
  hooks: Pick<CapturerInit, 'onSaved' | 'onPruned' | 'mayPrune' | 'onEvent'> = {},
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
  if (values.remote !== undefined) {
    const { verifyOnRemote } = await import('./capture-remote.ts')
    return verifyOnRemote(
      dir,
      values.remote,
      parseSample(values.sample),
      outputOf(values).redact,
      values.json === true,
    )
  }
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

function parseSample(text: string | undefined): number | 'all' {
  if (text === 'all') return 'all'
  return flags.whole('sample', text, { min: 0 }) ?? 20
}

async function rebuild(values: Values, dir: string, days: string[]): Promise<number> {
  const { log } = outputOf(values)
  const capturer = capturerFrom(values, dir, false, log)
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
  const { log } = outputOf(values)
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
  if (values.remote !== undefined || values.sample !== undefined)
    throw new UsageError(
      'farm capture: --remote and --sample belong to `farm capture verify --remote REMOTE`.',
    )
  for (const flag of ['backup-bwlimit', 'backup-retry'] as const)
    if (values[flag] !== undefined && values['backup-remote'] === undefined)
      throw new UsageError(`farm capture: --${flag} is about the uploads of --backup-remote: give both.`)
  const retryS = flags.positive('backup-retry', values['backup-retry'])
  const { log, redact } = outputOf(values)
  const bwlimit = values['backup-bwlimit'] === undefined ? undefined : parseBwlimit(values['backup-bwlimit'])
  const hooks = new EventHooks({ command: values['on-event'], webhook: values.webhook, log, redact })
  const socket = new CaptureSocket(dir)
  let sharing: Sharing | undefined
  let backup: RemoteBackup | undefined
  // Every listener gets the event at once; none of them makes the capture wait.
  const onEvent = (event: CaptureEvent) => {
    backup?.onCaptureEvent(event)
    const shown = redactDeep(event, redact)
    hooks.deliver(shown)
    socket.publish(shown)
  }
  const capturer = capturerFrom(values, dir, true, log, {
    onSaved: async (day, frame) => sharing?.onSaved(day, frame),
    onPruned: async (day, frames) => sharing?.onPruned(day, frames),
    mayPrune: async (day) => backup?.mayPrune(day) ?? true,
    onEvent,
  })
  await mkdir(dir, { recursive: true })
  const noSocket = await socket.listen(dir)
  if (noSocket !== undefined) log('warn', `no \`farm events --follow --dir\` for this capture: ${noSocket}`)
  try {
    if (values['backup-remote'] !== undefined) {
      backup = await RemoteBackup.start({
        dir,
        remote: values['backup-remote'],
        ...(bwlimit === undefined ? {} : { bwlimit }),
        ...(retryS === undefined ? {} : { maxBackoffMs: retryS * 1000 }),
        log,
        redact,
        onEvent,
      })
    }
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
    return await capture(values, dir, capturer, log, backup)
  } finally {
    await sharing?.stop()
    await backup?.stop()
    await hooks.close(values.once ? ONCE_HOOKS_GRACE_MS : undefined)
    await socket.close()
  }
}

/** rclone's --bwlimit syntax, checked here so a typo fails at start rather than at the first upload. */
function parseBwlimit(text: string): string {
  const rate = '(?:off|\\d+(?:\\.\\d+)?[BKMGTP]?(?::\\d+(?:\\.\\d+)?[BKMGTP]?)?)'
  const slot = `(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?\\d\\d:\\d\\d,${rate}`
  if (new RegExp(`^(?:${rate}|${slot}(?: ${slot})*)$`, 'i').test(text.trim())) return text.trim()
  throw flags.error(
    'backup-bwlimit',
    text,
    'a rate such as 1M or 512k, or a timetable such as "08:00,512k 20:00,off"',
  )
}

/** How long `--once` waits for its uploads before leaving the rest to the next run. */
const ONCE_UPLOAD_WAIT_MS = 5 * 60_000

async function capture(
  values: Values,
  dir: string,
  capturer: Capturer,
  log: CaptureLog,
  backup: RemoteBackup | undefined,
): Promise<number> {
  if (values.once) {
    await capturer.recover()
    await backup?.scanAll()
    const outcome = await capturer.tick()
    if (backup !== undefined) await settleUploads(backup, log)
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
    `capturing from ${describeSource(parseSource(values.source!))} on '${cron}' (${capturer.timeZone}) into ${dir}${backup ? `, backed up to ${backup.rclone.shown}` : ''}`,
  )
  await runCaptureDaemon(capturer, {
    cron,
    signal: controller.signal,
    log,
    onNextRun: (next) =>
      log('info', next ? `next capture at ${next.toISOString()}` : 'no further capture scheduled'),
    ...(backup === undefined ? {} : { onRecovered: () => backup.scanAll() }),
  })
  releaseSignals()
  log('info', 'stopped')
  return 0
}

/** `--once` leaves when its files are on the remote, the remote failed, or after ONCE_UPLOAD_WAIT_MS. */
async function settleUploads(backup: RemoteBackup, log: CaptureLog): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ONCE_UPLOAD_WAIT_MS)
  })
  await Promise.race([backup.settled(), late])
  clearTimeout(timer)
  if (backup.pending > 0)
    log(
      'warn',
      `backup: ${backup.pending} files still wait for ${backup.rclone.shown}; the next run sends them`,
    )
}

export const command: Command = {
  help,
  run,
}
