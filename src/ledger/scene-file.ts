/**
 * The one rule for a job's `sceneFile`: a normalised relative path, inside the job's archive,
 * whose extension is its renderer's. A worker renders join(archive, sceneFile), so anything
 * else (`../../home/x.blend`, `/etc/x.pov`, `a/./b.pov`) would point it at a file of its own disk.
 * The ledger refuses such entries; the worker checks the unpacked file again (a symlink).
 */
export const SCENE_EXTENSIONS = { povray: '.pov', blender: '.blend' } as const

export function sceneFileProblem(
  sceneFile: string,
  renderer: keyof typeof SCENE_EXTENSIONS,
): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(sceneFile)) return 'holds a control character or a backslash'
  if (sceneFile.startsWith('/')) return 'is an absolute path'
  const parts = sceneFile.split('/')
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    return 'is not a normalised relative path (no empty, . or .. parts)'
  const ext = SCENE_EXTENSIONS[renderer]
  if (!sceneFile.toLowerCase().endsWith(ext)) return `does not end in ${ext}, as a ${renderer} scene must`
  return undefined
}
