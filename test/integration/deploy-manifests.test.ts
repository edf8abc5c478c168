import { spawnSync } from 'node:child_process'
import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, tempDir } from '../helpers/farm.ts'
import { parseKustomizeOutput, type Yaml } from '../helpers/kustomize-output.ts'

const KUBERNETES = join(REPO_ROOT, 'deploy', 'kubernetes')
const TERRAFORM = join(REPO_ROOT, 'deploy', 'terraform', 'gcp')

function absent(tool: string, args: string[], why: string): string | undefined {
  const probe = spawnSync(tool, args, { encoding: 'utf8' })
  return probe.error === undefined ? undefined : why
}

// --client: a bare `kubectl version` would ask an API server too.
const noKubectl = absent(
  'kubectl',
  ['version', '--client'],
  'kubectl is not installed: Debian 12 packages none (its kubernetes-client is 1.20, whose kustomize is v2), so scripts/setup.sh cannot install it; see https://kubernetes.io/docs/tasks/tools/',
)
const noTerraform = absent(
  'terraform',
  ['version'],
  'terraform is not installed: Debian packages none and its provider cannot be downloaded here; see https://developer.hashicorp.com/terraform/install',
)
for (const reason of [noKubectl, noTerraform])
  if (reason !== undefined) process.stderr.write(`deploy-manifests: skipped, ${reason}\n`)

type Doc = Record<string, Yaml> & { kind: string; metadata: { name: string; namespace?: string } }
type Obj = Record<string, Yaml>
const obj = (value: Yaml | undefined) => value as Obj
const list = (value: Yaml | undefined) => (value ?? []) as Obj[]

/**
 * `kubectl kustomize` is the whole check that runs offline: `kubectl apply --dry-run=client`
 * still asks an API server for the kinds it maps (without a kubeconfig it dials
 * localhost:8080), so it needs a cluster and is not run here.
 */
describe.skipIf(noKubectl !== undefined)('the Kubernetes manifests (kubectl kustomize)', () => {
  const invite = 'farm1.test-invite-of-the-swarm'
  let docs: Doc[]
  const find = (kind: string, name: string) => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name.startsWith(name))
    if (doc === undefined) throw new Error(`no ${kind} ${name} in the kustomize output`)
    return doc
  }
  const pod = (doc: Doc) => obj(obj(obj(doc.spec).template).spec)
  const containers = (doc: Doc) => list(pod(doc).containers)

  beforeAll(async () => {
    const copy = join(await tempDir('farm-kustomize-'), 'kubernetes')
    await cp(KUBERNETES, copy, { recursive: true })
    await writeFile(join(copy, 'render', 'invite.txt'), `${invite}\n`)
    const built = await execa('kubectl', ['kustomize', copy], { reject: false })
    expect(built.exitCode, built.stderr).toBe(0)
    docs = parseKustomizeOutput(built.stdout) as Doc[]
  })

  it('puts everything in the farm namespace, every pod on the image it names', () => {
    expect(docs.filter((d) => d.kind !== 'Namespace' && d.metadata.namespace !== 'farm')).toEqual([])
    const images = docs
      .filter((d) => ['StatefulSet', 'Deployment'].includes(d.kind))
      .flatMap((d) => containers(d).map((c) => c.image))
    expect(new Set(images)).toEqual(new Set(['localhost/farm:latest']))
  })

  it('runs POV-Ray and Blender workers as StatefulSets, each pod with its own home volume and its renderer’s requests', () => {
    const requests: Record<string, Obj> = {}
    for (const renderer of ['povray', 'blender']) {
      const workers = find('StatefulSet', `farm-${renderer}`)
      const claim = list(obj(workers.spec).volumeClaimTemplates)[0]!
      const [farm] = containers(workers)
      expect(list(farm!.volumeMounts)).toContainEqual({
        mountPath: '/var/lib/farm',
        name: obj(claim.metadata).name!,
      })
      expect(farm!.args).toEqual(['--no-mdns', '--renderers', renderer])
      requests[renderer] = obj(obj(farm!.resources).requests)
      // The grace farm is given ends before Kubernetes kills the pod.
      const grace = list(farm!.env).find((e) => e.name === 'FARM_GRACE')!.value as string
      expect(Number.parseInt(grace, 10)).toBeLessThan(pod(workers).terminationGracePeriodSeconds as number)
      expect(obj(obj(farm!.livenessProbe).exec).command).toEqual(['farm', 'status', '--health'])
    }
    expect(requests).toEqual({ povray: { cpu: '2', memory: '1Gi' }, blender: { cpu: '4', memory: '8Gi' } })
  })

  it('gives every pod of the swarm the invite from one Secret, as a file', () => {
    const secret = find('Secret', 'farm-invite')
    expect(Buffer.from(obj(secret.data).invite as string, 'base64').toString()).toBe(`${invite}\n`)
    for (const name of ['farm-relay', 'farm-povray', 'farm-blender']) {
      const set = find('StatefulSet', name)
      expect(list(pod(set).volumes)).toContainEqual({
        name: 'invite',
        secret: { secretName: secret.metadata.name },
      })
      expect(list(containers(set)[0]!.env)).toContainEqual({
        name: 'FARM_INVITE_FILE',
        value: '/run/secrets/farm/invite',
      })
    }
  })

  it('exposes the relay member on TCP 4001 and lets a drain take one worker at a time', () => {
    const service = find('Service', 'farm-relay')
    const relay = find('StatefulSet', 'farm-relay')
    expect(obj(service.spec).type).toBe('LoadBalancer')
    expect(list(obj(service.spec).ports)).toEqual([
      { name: 'p2p', port: 4001, protocol: 'TCP', targetPort: 'p2p' },
    ])
    expect(obj(obj(obj(relay.spec).template).metadata).labels).toMatchObject(
      obj(service.spec).selector as Obj,
    )
    const budget = find('PodDisruptionBudget', 'farm-workers')
    expect(obj(budget.spec).maxUnavailable).toBe(1)
    const selected = obj(obj(budget.spec).selector).matchLabels as Obj
    for (const name of ['farm-povray', 'farm-blender'])
      expect(obj(obj(obj(find('StatefulSet', name).spec).template).metadata).labels).toMatchObject(selected)
  })

  it('captures onto a volume claim and serves the timelapse behind an Ingress at its --base-path', () => {
    const timelapse = find('Deployment', 'farm-timelapse')
    const [capture, serve] = containers(timelapse)
    expect(capture!.args).toContain('--hourly')
    const claim = list(pod(timelapse).volumes).find((v) => v.name === 'frames')!
    expect(find('PersistentVolumeClaim', obj(claim.persistentVolumeClaim).claimName as string)).toBeDefined()
    const args = serve!.args as string[]
    const basePath = args[args.indexOf('--base-path') + 1]
    const ingress = find('Ingress', 'farm-timelapse')
    const [path] = list(obj(list(obj(ingress.spec).rules)[0]!.http).paths)
    expect(path!.path).toBe(basePath)
    const backend = obj(obj(path!.backend).service)
    const service = find('Service', backend.name as string)
    expect(list(obj(service.spec).ports).map((p) => p.name)).toContain(obj(backend.port).name)
  })
})

/**
 * What validates offline: `terraform fmt -check` parses every file and holds them to the
 * canonical style, and `terraform providers` loads the module's configuration. `terraform
 * validate` needs the Google provider's schema, which `terraform init` downloads; without it it
 * only says the provider is missing, so it is not run. In its place the test checks what
 * validate would about variables: every `var.X` used is declared, and the cloud-init template
 * gets every value it uses.
 */
describe.skipIf(noTerraform !== undefined)('the GCP terraform module (offline checks)', () => {
  const env = { TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' }

  it('is in canonical form and its configuration loads', async () => {
    const fmt = await execa('terraform', ['fmt', '-check', '-recursive', '-diff', TERRAFORM], {
      reject: false,
      env,
    })
    expect(fmt.exitCode, `${fmt.stdout}${fmt.stderr}`).toBe(0)
    const providers = await execa('terraform', [`-chdir=${TERRAFORM}`, 'providers'], { reject: false, env })
    expect(providers.exitCode, providers.stderr).toBe(0)
    expect(providers.stdout).toContain('provider[registry.terraform.io/hashicorp/google]')
  })

  it('declares the variables it uses, the ones the cloud run service had among them', async () => {
    const files = (await readdir(TERRAFORM)).filter((f) => f.endsWith('.tf'))
    const text = (await Promise.all(files.map((f) => readFile(join(TERRAFORM, f), 'utf8')))).join('\n')
    const declared = new Set([...text.matchAll(/^variable "([a-z_]+)"/gm)].map((m) => m[1]!))
    const used = new Set([...text.matchAll(/\bvar\.([a-z_]+)/g)].map((m) => m[1]!))
    expect([...used].filter((name) => !declared.has(name))).toEqual([])
    for (const name of ['project_id', 'region', 'max_instances', 'cpus', 'memory_mb', 'namespace'])
      expect(declared).toContain(name)
    const template = await readFile(join(TERRAFORM, 'cloud-init.yaml.tftpl'), 'utf8')
    const passed = /templatefile\("\$\{path\.module\}\/cloud-init\.yaml\.tftpl", \{([^}]*)\}\)/.exec(
      text,
    )![1]!
    const given = new Set([...passed.matchAll(/^\s*([a-z_]+)\s*=/gm)].map((m) => m[1]!))
    const wanted = new Set([...template.matchAll(/\$\{([a-z_]+)\}/g)].map((m) => m[1]!))
    expect([...wanted].filter((name) => !given.has(name))).toEqual([])
  })
})
