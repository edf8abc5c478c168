import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { callNode, FarmError, planSubmission, type SceneBundle, shortJobId } from '../farm/index.ts'
import { parseFrameRange, parseSize, parseTileGrid, rendererForScene } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'

const flags = flagsOf('submit')

export const command: Command = {
  help: `Usage: farm submit SCENE --frames A-B [--size WxH] [--fps N] [--stitcher self|PEER_ID]
                   [--attempts N] [--fail-fast] [--name NAME] [--price CREDITS]
                   [--budget CREDITS] [--verify-rate R] [--frame-timeout DURATION]
                   [--max-archive-mb N] [--renderer-version X.Y] [--any-version]
                   [--tiles CxR] [--library DIR]... [--allow-missing] [--list]
                   [--home DIR] [--json]

Packs SCENE's directory (minus what its .farmignore lists) and every file the scene reads
(found by the renderer itself: textures, linked libraries, includes, wherever they are) into the
running node's blob store, one blob per file, writes the job to the ledger and prints the job id
alone on stdout. Files from outside SCENE's directory are packed under _external/ and the packed
copy of the .blend or .pov points there; the files on disk are never changed. A file the scene
needs that does not exist stops the submission (exit 2) unless --allow-missing. Workers of the swarm fetch
the scene, render the frames, and the stitcher (this node unless --stitcher names another)
verifies them and stitches the video: \`farm fetch JOB\` gets it.

Options:
  --frames A-B        the frames to render, e.g. 1-240 (required)
  --size WxH          image size (default 320x240)
  --fps N             frames per second of the video (default 24)
  --stitcher WHO      self (default) or the peer id of the node that verifies and stitches
  --attempts N        tries per frame before the job fails (default 3)
  --fail-fast         fail the job at the first frame that fails
  --name NAME         the job's name (default: the scene's file name)
  --price CREDITS     credits paid per WU rendered (default 1; orders the queue:
                      highest first; change it later with \`farm reprice\`)
  --budget CREDITS    reserve this much of your balance for the job now (escrow);
                      no payment goes beyond it and what is left returns at the end
  --verify-rate R     share of each worker's frames, after its first 2, the stitcher
                      re-renders to check (0-1, default 0.05)
  --max-archive-mb N  refuse scenes whose archive is larger (default 1024)
  --frame-timeout D   kill a frame rendering longer than D (e.g. 90s, 20m) and count it a failed
                      attempt (default: 10x the job's slowest frame so far, at least 1m; each
                      worker caps it with its --max-frame-time)
  --renderer-version X.Y  the renderer version the scene needs (default: this node's); workers
                      of another major.minor do not take the job
  --any-version       workers of any version of the renderer may take it
  --tiles CxR         split the one frame of --frames N-N into C columns x R rows of tiles,
                      rendered across the farm like frames; \`farm fetch\` gives the PNG
  --library DIR       a POV-Ray library directory (+L) the scene includes files from; repeat
                      for several (Debian's /usr/share/povray-3.7/include needs none)
  --allow-missing     submit even when files the scene names do not exist
  --list              print what would be packed (path in the archive, size, why) and exit;
                      needs no running node
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --json              print {"id": ...} instead of the bare id

Examples:
  job=$(farm submit examples/povray/orbit.pov --frames 1-48 --size 640x480)
  farm submit shots/intro.blend --frames 1-120 --fps 30 --attempts 2 --name intro
  farm submit still.blend --frames 7-7 --size 1920x1080 --tiles 4x4
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('submit', argv, {
      frames: { type: 'string' },
      size: { type: 'string' },
      fps: { type: 'string' },
      stitcher: { type: 'string' },
      attempts: { type: 'string' },
      'fail-fast': { type: 'boolean' },
      name: { type: 'string' },
      price: { type: 'string' },
      budget: { type: 'string' },
      'verify-rate': { type: 'string' },
      'max-archive-mb': { type: 'string' },
      'frame-timeout': { type: 'string' },
      'renderer-version': { type: 'string' },
      'any-version': { type: 'boolean' },
      tiles: { type: 'string' },
      library: { type: 'string', multiple: true },
      'allow-missing': { type: 'boolean' },
      list: { type: 'boolean' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError(
        'farm submit takes one scene file (a .pov or .blend), e.g. `farm submit orbit.pov --frames 1-48`',
      )
    const scene = resolve(positionals[0]!)
    if (!(await stat(scene).catch(() => undefined))?.isFile())
      throw FarmError.SCENE_FILE_NOT_FOUND(positionals[0]!)
    rendererForScene(scene)
    const libraries = values.library?.map((lib) => resolve(lib))
    const maxMb = flags.whole('max-archive-mb', values['max-archive-mb'])
    if (values.list) {
      const range = parseFrameRange(values.frames ?? '1')
      return await listScene(
        {
          scene,
          first: range.first,
          last: range.last,
          ...(libraries ? { libraries } : {}),
          ...(maxMb !== undefined ? { maxArchiveBytes: maxMb * 1024 * 1024 } : {}),
        },
        { json: values.json === true, allowMissing: values['allow-missing'] === true },
      )
    }
    if (values.frames === undefined)
      throw new UsageError('farm submit needs --frames A-B, e.g. --frames 1-48')
    const range = parseFrameRange(values.frames)
    const price = flags.between('price', values.price, 0, Number.MAX_SAFE_INTEGER / 1000)
    const budget = flags.between('budget', values.budget, 0, Number.MAX_SAFE_INTEGER / 1000)
    const verifyRate = flags.between('verify-rate', values['verify-rate'], 0, 1)
    const frameTimeoutMs = flags.duration('frame-timeout', values['frame-timeout'])
    if (frameTimeoutMs !== undefined && frameTimeoutMs < 1000)
      throw flags.error('frame-timeout', values['frame-timeout']!, 'a duration of 1s or more')
    const spec = {
      scene,
      first: range.first,
      last: range.last,
      ...(values.size !== undefined ? { size: parseSize(values.size) } : {}),
      fps: flags.whole('fps', values.fps),
      ...(values.stitcher !== undefined ? { stitcher: values.stitcher } : {}),
      attempts: flags.whole('attempts', values.attempts),
      ...(values['fail-fast'] ? { failFast: true } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      pricePerWU: price === undefined ? undefined : Math.round(price * 1000),
      ...(budget !== undefined ? { budget: Math.round(budget * 1000) } : {}),
      ...(verifyRate !== undefined ? { verifyRate } : {}),
      maxArchiveBytes: maxMb === undefined ? undefined : maxMb * 1024 * 1024,
      ...(frameTimeoutMs !== undefined ? { frameTimeoutMs } : {}),
      ...versionAndTiles(values),
      ...(libraries ? { libraries } : {}),
      ...(values['allow-missing'] ? { allowMissing: true } : {}),
    }
    const { id, notes } = await callNode(resolveHome(values.home), 'submit', spec, { timeoutMs: 600_000 })
    for (const note of notes ?? []) process.stderr.write(`farm: ${note}\n`)
    process.stdout.write(values.json ? `${JSON.stringify({ id })}\n` : `${id}\n`)
    const what = spec.tiles
      ? `frame ${range.first} in ${spec.tiles.cols}x${spec.tiles.rows} tiles`
      : `frames ${range.first}-${range.last}`
    process.stderr.write(`farm: submitted ${what}; follow with \`farm status ${shortJobId(id)}\`\n`)
    return 0
  },
}

const VERSION = /^\d+\.\d+(\.\d+){0,3}$/

function versionAndTiles(values: { 'renderer-version'?: string; 'any-version'?: boolean; tiles?: string }) {
  const version = values['renderer-version']
  if (version !== undefined && !VERSION.test(version))
    throw flags.error('renderer-version', version, 'a version such as 3.4 or 3.4.1')
  return {
    ...(version !== undefined ? { rendererVersion: version } : {}),
    ...(values['any-version'] ? { anyVersion: true } : {}),
    ...(values.tiles !== undefined ? { tiles: parseTileGrid(values.tiles) } : {}),
  }
}

/** `--list`: what the archive would hold, traced here without a node; exit 2 when files are missing. */
async function listScene(
  spec: Parameters<typeof planSubmission>[0],
  opts: { json: boolean; allowMissing: boolean },
): Promise<number> {
  const staging = await mkdtemp(join(tmpdir(), 'farm-list-'))
  let bundle: SceneBundle
  try {
    bundle = await planSubmission(spec, { staging })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  if (opts.json) {
    const { items, missing, libraries, notes } = bundle
    process.stdout.write(`${JSON.stringify({ files: items, missing, libraries, notes }, null, 2)}\n`)
  } else {
    const width = Math.max(...bundle.items.map((i) => i.path.length), 4)
    for (const item of bundle.items) {
      const why = item.why.join('; ') + (item.changed ? ' [packed as a copy with its paths changed]' : '')
      process.stdout.write(`${item.path.padEnd(width)}  ${String(item.size).padStart(10)}  ${why}\n`)
    }
    const total = bundle.items.reduce((sum, i) => sum + i.size, 0)
    process.stderr.write(`farm: ${bundle.items.length} files, ${total} bytes would be packed\n`)
    for (const lib of bundle.libraries) process.stderr.write(`farm: workers search library ${lib} (+L)\n`)
    for (const note of bundle.notes) process.stderr.write(`farm: ${note}\n`)
  }
  if (bundle.missing.length === 0) return 0
  const error = FarmError.SCENE_FILES_MISSING(spec.scene, bundle.missing)
  process.stderr.write(`farm: ${error.message}\n`)
  return opts.allowMissing ? 0 : 2
}
