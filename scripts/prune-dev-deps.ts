/**
 * Removes the packages only development needs (package-lock.json marks them `"dev": true`) from
 * node_modules, offline: the container image's build stage runs it on a copy of a set-up
 * checkout's node_modules, so the image carries what `farm` runs with and no compiler, test
 * runner or linter. `npm prune --omit=dev` would do the same but needs npm, which the image
 * does not have (Node 22 comes from the `node` package, without npm).
 *
 *   node scripts/prune-dev-deps.ts [DIR]   (DIR: the checkout, default the current directory)
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

interface LockedPackage {
  dev?: boolean
}

const root = resolve(process.argv[2] ?? '.')
const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>
}
const dev = Object.entries(lock.packages)
  .filter(([path, info]) => path !== '' && info.dev === true)
  .map(([path]) => path)
for (const path of dev) await rm(join(root, path), { recursive: true, force: true })

// Links in node_modules/.bin to a removed package would dangle.
const bin = join(root, 'node_modules', '.bin')
let dangling = 0
for (const name of await readdir(bin).catch(() => [])) {
  if (await stat(join(bin, name)).catch(() => undefined)) continue
  await rm(join(bin, name), { force: true })
  dangling++
}
process.stdout.write(`prune-dev-deps: removed ${dev.length} development packages and ${dangling} links\n`)
