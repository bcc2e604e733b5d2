import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/program.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

const DIR = join(REPO_DIR, 'docs', 'examples', 'kubernetes');

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        containers: Container[];
        volumes?: { name: string; configMap?: { items: { key: string; path: string }[] } }[];
      };
    };
  };
}

const manifests = parseAllDocuments(readFileSync(join(DIR, 'flagroute.yaml'), 'utf8'))
  .map((document) => document.toJS() as Manifest | null)
  .filter((manifest): manifest is Manifest => manifest !== null);
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const containers = manifests.flatMap((manifest) =>
  (manifest.spec?.template?.spec.containers ?? []).map((container) => ({ manifest, container })),
);
const configMap = byKind('ConfigMap')[0]!;

/** Every TypeScript file under src, as one text: where the code names the variables it reads. */
function sourceText(dir = join(REPO_DIR, 'src')): string {
  return readdirSync(dir)
    .map((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceText(path);
      return name.endsWith('.ts') ? readFileSync(path, 'utf8') : '';
    })
    .join('\n');
}

/** The subcommand `args` name (`store migrate`), and the arguments after its name. */
async function subcommandOf(args: string[]): Promise<{ command: Command; rest: string[] }> {
  let command: Command = await buildProgram(args);
  let rest = args;
  for (;;) {
    const next = command.commands.find((each) => each.name() === rest[0]);
    if (!next) return { command, rest };
    command = next;
    rest = rest.slice(1);
  }
}

/** The ConfigMap's files where the pods see them (the volume's items), in a temp dir. */
async function mountedConfig(): Promise<string> {
  const volume = byKind('Deployment')[0]!.spec!.template!.spec.volumes!.find(
    (each) => each.configMap,
  )!;
  const files: Record<string, string> = {};
  for (const item of volume.configMap!.items) files[item.path] = configMap.data![item.key]!;
  return (await tempConfigDir(files)).dir;
}

describe('the Kubernetes manifests of docs/examples/kubernetes', () => {
  it('hold a ConfigMap, a Secret, a migration Job, the service and a controller of two replicas', () => {
    expect(manifests.map((manifest) => manifest.kind)).toEqual([
      'ConfigMap',
      'Secret',
      'Job',
      'Deployment',
      'Deployment',
    ]);
    const controller = byKind('Deployment').find((each) =>
      each.spec!.template!.spec.containers[0]!.args!.includes('controller'),
    )!;
    expect((controller.spec as { replicas: number }).replicas).toBe(2);
    // The configuration is mounted read-only wherever it is mounted.
    for (const { container } of containers) {
      for (const mount of container.volumeMounts ?? []) expect(mount.readOnly).toBe(true);
    }
  });

  it("the ConfigMap's configuration passes flagroute validate", async () => {
    const run = await runCli(['validate', '--config-dir', await mountedConfig()]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it.each(
    containers.map(({ manifest, container }) => [
      `${manifest.metadata.name}/${container.name}`,
      container,
    ]),
  )(
    '%s runs a command line the CLI parses, with every required option',
    async (_name, container) => {
      const { command: entrypoint, args = [] } = container as Container;
      expect(entrypoint).toEqual(['flagroute']);
      const { command, rest } = await subcommandOf(args);
      expect(command.name()).not.toBe('flagroute');
      expect(command.commands).toEqual([]); // a command that runs, not a group
      const parsed = command.parseOptions(rest);
      expect(parsed.unknown).toEqual([]);
      expect(parsed.operands).toEqual([]);
      const given = new Set(rest.filter((arg) => arg.startsWith('--')));
      for (const option of command.options.filter((each) => each.mandatory)) {
        expect(given.has(option.long!), `${option.long} is required`).toBe(true);
      }
    },
  );

  it('name only variables flagroute reads, and give every one of the Secret a use', () => {
    const source = sourceText();
    const secret = byKind('Secret')[0]!;
    const named = new Set([
      ...Object.keys(secret.stringData ?? {}),
      ...containers.flatMap(({ container }) => (container.env ?? []).map((each) => each.name)),
    ]);
    expect(named.size).toBeGreaterThan(0);
    for (const name of named) {
      expect(source, `${name} is read nowhere in src/`).toMatch(new RegExp(`\\b${name}\\b`));
    }
    const used = new Set(
      containers.flatMap(({ container }) => (container.env ?? []).map((each) => each.name)),
    );
    for (const key of Object.keys(secret.stringData ?? {})) expect(used.has(key), key).toBe(true);
  });

  it("probe paths and Prometheus's metrics path answer 200 on the real serve and controller", async () => {
    const config = await mountedConfig();
    const events = await mkdtemp(join(tmpdir(), 'flagroute-manifest-events-'));
    onTestEnd(() => rm(events, { recursive: true, force: true }));
    const serve = startCli(['serve', '--config-dir', config, '--env', 'production', '--port', '0']);
    const controller = startCli([
      'controller',
      '--config-dir',
      config,
      '--env',
      'production',
      '--metrics',
      `events=${events}`,
      '--port',
      '0',
    ]);
    const serveUrl = await waitFor(
      'serve to listen',
      () => /listening on (\S+)/.exec(serve.output())?.[1],
    );
    const controllerUrl = await waitFor(
      'the controller endpoint',
      () => /\/metrics at (http:\/\/\S+?)"/.exec(controller.output())?.[1],
    );
    const scrape = parseYaml(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { metrics_path: string }[];
    };
    for (const { container } of containers) {
      const probes = [container.readinessProbe, container.livenessProbe].filter(
        (probe): probe is Probe => probe !== undefined,
      );
      if (probes.length === 0) continue;
      const url = container.args!.includes('controller') ? controllerUrl : serveUrl;
      const paths = [
        ...probes.map((probe) => probe.httpGet.path),
        ...scrape.scrape_configs.map((job) => job.metrics_path),
      ];
      for (const path of paths) {
        const response = await fetch(`${url}${path}`);
        expect(response.status, `${container.name} ${path}`).toBe(200);
      }
      // Probes name a port the container declares.
      for (const probe of probes) {
        expect(container.ports!.map((port) => port.name)).toContain(probe.httpGet.port);
      }
    }
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(await controller.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
