import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inviteFromEnvironment } from '../../src/cli/invite-source.ts'
import { FARM_SOURCE, runFarm, tempDir } from '../helpers/farm.ts'

// From source (Node 22 strips the types), so the unit suite needs no build.
const farm = (args: string[], env: Record<string, string> = {}) =>
  runFarm(args, { main: FARM_SOURCE, env: { FARM_WUPM: '1', ...env } })

describe('what a container gives `farm join` and asks of `farm status`', () => {
  it('takes the invite from FARM_INVITE or FARM_INVITE_FILE only while the home has joined no swarm', async () => {
    const fresh = join(await tempDir(), 'home')
    expect(await inviteFromEnvironment(fresh, { FARM_INVITE: ' farm1.abc \n' })).toBe('farm1.abc')
    const secret = join(await tempDir(), 'invite')
    await writeFile(secret, 'farm1.fromfile\n')
    expect(await inviteFromEnvironment(fresh, { FARM_INVITE_FILE: secret })).toBe('farm1.fromfile')
    expect(await inviteFromEnvironment(fresh, {})).toBeUndefined()

    const joined = join(await tempDir(), 'joined')
    const init = await farm(['init', '--home', joined, '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(init.exitCode, String(init.all)).toBe(0)
    expect(await inviteFromEnvironment(joined, { FARM_INVITE: 'farm1.expired' })).toBeUndefined()
  })

  it('says which invite file it cannot use, with exit 2', async () => {
    const home = join(await tempDir(), 'home')
    const missing = await farm(['join', '--home', home, '--headless'], {
      FARM_INVITE_FILE: '/nonexistent/invite',
    })
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toContain(
      'cannot read the invite in FARM_INVITE_FILE=/nonexistent/invite (ENOENT)',
    )
    const empty = join(await tempDir(), 'invite')
    await writeFile(empty, '\n')
    const blank = await farm(['join', '--home', home, '--headless'], { FARM_INVITE_FILE: empty })
    expect(blank.exitCode).toBe(2)
    expect(blank.stderr).toContain(`FARM_INVITE_FILE=${empty} is empty`)
  })

  it('refuses a --grace or --log-to it cannot read before touching the home', async () => {
    const home = join(await tempDir(), 'home')
    const grace = await farm(['join', 'farm1.x', '--home', home, '--grace', 'soon'])
    expect(grace.exitCode).toBe(2)
    expect(grace.stderr).toContain("--grace 'soon' is not a duration such as 25s, 2m, 24h, 7d or 1h30m")
    const logTo = await farm(['join', 'farm1.x', '--home', home, '--log-to', 'syslog'])
    expect(logTo.exitCode).toBe(2)
    expect(logTo.stderr).toContain("--log-to 'syslog' is not one of stderr, stdout")
    expect(existsSync(home)).toBe(false)
  })

  it('answers --health with one line and exit 1 when no node runs', async () => {
    const home = await tempDir()
    const health = await farm(['status', '--health', '--home', home])
    expect(health.exitCode).toBe(1)
    expect(health.stdout).toBe(
      `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
    )
  })
})
