import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MIN_MAJOR = 22

/**
 * farm needs Node >= 22 (libp2p v3 calls Promise.withResolvers). When started by an older
 * system Node, run again under the Node 22 that `npm ci` put in the project's node_modules.
 * Returns the exit code of that re-run, or undefined when this Node is new enough.
 */
export function reexecOnProjectNode(): number | undefined {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= MIN_MAJOR) return undefined
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const projectNode = join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(projectNode)) {
    process.stderr.write(
      `farm: needs Node ${MIN_MAJOR} or newer, this is ${process.versions.node}. Run \`bash scripts/setup.sh\` in ${root} to install it into node_modules.\n`,
    )
    return 2
  }
  const result = spawnSync(projectNode, process.argv.slice(1), { stdio: 'inherit' })
  return result.status ?? 1
}
