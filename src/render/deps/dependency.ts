/** A file (or a directory of them) a scene reads, as the renderer found it on this machine. */
export interface SceneDependency {
  /** Absolute path of what the scene names (for a sequence, its first file; for a cache, its directory). */
  path: string
  /** Absolute paths to pack: the sequence's frames, the UDIM tiles, or `path` alone. */
  files: string[]
  /** A cache directory: packed whole when it exists, never missing. */
  directory: boolean
  /** Packed when present; its absence fails nothing. */
  optional: boolean
  /** The path as the scene spells it (`//textures/rel.png`, `../outside/abs.png`). */
  spelled: string
  /** Where the scene refers to it, for a person: `image "abs.png" in scene.blend`. */
  why: string
  /** The .blend whose own data holds the reference (absolute); a copy of it is remapped. */
  owner?: string
  /** POV-Ray found it in this library directory (+L, absolute) rather than by its spelled path. */
  library?: string
}
