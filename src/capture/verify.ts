import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { readJpegInfo } from './jpeg.ts'
import { FRAME_FILE, frameDays, framePath, framesDir, listNames } from './layout.ts'
import { readManifest } from './manifest.ts'

export interface FrameProblem {
  day: string
  file: string
  problem: 'missing' | 'corrupt' | 'unrecorded'
  detail: string
}

export interface VerifyReport {
  days: number
  /** Frames the manifests record (pruned days excluded). */
  frames: number
  ok: number
  problems: FrameProblem[]
}

/** Checks every recorded frame's bytes against its manifest, and finds frames no manifest records. */
export async function verifyCaptures(dir: string): Promise<VerifyReport> {
  const report: VerifyReport = { days: 0, frames: 0, ok: 0, problems: [] }
  for (const day of await frameDays(dir)) {
    report.days++
    const manifest = await readManifest(dir, day)
    const recorded = new Set<string>()
    for (const frame of manifest?.pruned ? [] : (manifest?.frames ?? [])) {
      recorded.add(frame.file)
      report.frames++
      const problem = (kind: FrameProblem['problem'], detail: string) =>
        report.problems.push({ day, file: frame.file, problem: kind, detail })
      let bytes: Buffer
      try {
        bytes = await readFile(framePath(dir, day, frame.file))
      } catch {
        problem('missing', 'recorded in the manifest but not on disk')
        continue
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      if (bytes.length !== frame.size)
        problem('corrupt', `${bytes.length} bytes, manifest says ${frame.size}`)
      else if (sha256 !== frame.sha256)
        problem('corrupt', `sha256 ${sha256.slice(0, 12)}..., manifest says ${frame.sha256.slice(0, 12)}...`)
      else if (readJpegInfo(bytes) === undefined) problem('corrupt', 'not a complete JPEG')
      else report.ok++
    }
    for (const name of await listNames(framesDir(dir, day))) {
      if (FRAME_FILE.test(name) && !recorded.has(name)) {
        report.problems.push({ day, file: name, problem: 'unrecorded', detail: 'on disk but in no manifest' })
      }
    }
  }
  return report
}
