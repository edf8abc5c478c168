import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { callNode, FarmError, planSubmission, type SceneBundle, shortJobId } from '../farm/index.ts'
import { parseFrameRange, parseSize, rendererForScene } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'

const flags = flagsOf('submit')

export const command: Command = {
  help: `Usage: farm submit SCENE --frames A-B [--size WxH] [--fps N] [--stitcher self|PEER_ID]
                   [--attempts N] [--fail-fast] [--name NAME] [--price CREDITS]
                   [--max-archive-mb N] [--library DIR]... [--allow-missing] [--list]
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
  --price CREDITS     credits paid per WU rendered (default 1; orders the queue)
  --max-archive-mb N  refuse scenes whose archive is larger (default 1024)
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
      'max-archive-mb': { type: 'string' },
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
      maxArchiveBytes: maxMb === undefined ? undefined : maxMb * 1024 * 1024,
      ...(libraries ? { libraries } : {}),
      ...(values['allow-missing'] ? { allowMissing: true } : {}),
    }
    const { id } = await callNode(resolveHome(values.home), 'submit', spec, { timeoutMs: 600_000 })
    process.stdout.write(values.json ? `${JSON.stringify({ id })}\n` : `${id}\n`)
    process.stderr.write(
      `farm: submitted frames ${range.first}-${range.last}; follow with \`farm status ${shortJobId(id)}\`\n`,
    )
    return 0
  },
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
