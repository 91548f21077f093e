// `kubectl logs` and `kubectl exec` for the pods on the KWOK nodes. The API server reaches a node's
// "kubelet" at the node's Hostname address (localhost) and kubeletEndpoint port, which kwokctl sets
// to the kwok-controller's server; that server answers containerLogs and exec requests from KWOK's
// Logs/ClusterLogs and Exec/ClusterExec resources (kwok.x-k8s.io/v1alpha1), which kwokctl installs
// as CRDs and the kwok-controller watches (`enableCRDs`), so that they can be applied to a running
// stack with kubectl.
//
// Logs: a ClusterLogs gives every container of every pod (a KWOK selector can only list namespaces
// and pod names, not labels) the CRI log file `podLogFile`, a few known lines written when the
// stack comes up, and for `previous=true` the file `podPreviousLogFile` (KWOK returns it whether or
// not the container restarted). KWOK reads the file like the kubelet reads a container's log:
// tailLines, sinceSeconds, sinceTime, timestamps, limitBytes and follow (lines appended to the file
// are streamed; the stream ends only when the client closes it) all apply. A test that wants lines
// of its own gives its pod a `Logs` object (test/harness/pod-logs.ts), which wins over the
// ClusterLogs.
//
// Exec: a ClusterExec runs the command on this machine, as a child of the kwok-controller, in the
// work directory `execWorkDir`, with HOME and TMPDIR set to it and PATH to the system directories
// (the command itself is looked up in the kwok-controller's PATH); as user nobody when the stack
// runs as root. kwokctl starts the control plane with a short list of environment variables
// (`kwokctlEnv`), so a command sees no secrets of the shell that brought the stack up. Stdin and a
// TTY work, but KWOK 0.7 does not pass the end of stdin on to the command (one that reads to the
// end never ends), leaves the command running when the client goes away, and reports a non-zero
// exit as an error message ("... exit status 3"), kubectl exiting with 1.
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import {
  kwokClusterDir,
  podDebuggingKinds,
  restartKwokController,
  type ControlPlaneComponent,
} from './kwok.js';
import { repoRoot, stackDir, toolPath } from './paths.js';
import { run } from './process.js';

const kwokGroup = 'kwok.x-k8s.io';
const crdNames: Record<(typeof podDebuggingKinds)[number], string> = {
  ClusterLogs: `clusterlogs.${kwokGroup}`,
  Logs: `logs.${kwokGroup}`,
  ClusterExec: `clusterexecs.${kwokGroup}`,
  Exec: `execs.${kwokGroup}`,
};

/** The directory of the log files the stack's pods show. */
export const podLogsDir = join(stackDir, 'pod-logs');
/** The CRI log file every container shows (`kubectl logs`), unless its pod has a Logs object. */
export const podLogFile = join(podLogsDir, 'containers.log');
/** The CRI log file every container shows for `kubectl logs --previous`. */
export const podPreviousLogFile = join(podLogsDir, 'containers-previous.log');
/** The working directory (and HOME) of the commands `kubectl exec` runs. */
export const execWorkDir = join(stackDir, 'exec');

/** The lines `podLogFile` starts with. */
export const knownLogLines: readonly string[] = [
  'supercloud fake container: starting',
  'supercloud fake container: loaded the model',
  'supercloud fake container: serving on :8080',
];
/** The lines of `podPreviousLogFile`. */
export const knownPreviousLogLines: readonly string[] = [
  'supercloud fake container (previous run): starting',
  'supercloud fake container (previous run): out of memory, exiting',
];

/** The names of the stack's ClusterLogs and ClusterExec. */
export const clusterLogsName = 'supercloud-pods';
export const clusterExecName = 'supercloud-pods';

/** The uid commands run as when the stack runs as root (nobody). */
const unprivilegedUid = 65534;

/**
 * One line of a CRI container log (the format of /var/log/pods/...), as KWOK and the kubelet read
 * it: `<RFC 3339 time> <stdout|stderr> F <text>`.
 */
export function criLogLine(
  text: string,
  time: Date = new Date(),
  stream: 'stdout' | 'stderr' = 'stdout',
): string {
  if (text.includes('\n')) throw new Error('a CRI log line cannot contain a newline');
  return `${time.toISOString()} ${stream} F ${text}\n`;
}

/** Writes a CRI log file of `lines`, one second apart, the last one now. */
export function writeCriLogFile(file: string, lines: readonly string[], end = new Date()): void {
  mkdirSync(dirname(file), { recursive: true });
  const start = end.getTime() - (lines.length - 1) * 1000;
  writeFileSync(
    file,
    lines.map((line, i) => criLogLine(line, new Date(start + i * 1000))).join(''),
  );
}

/** The uid commands of `kubectl exec` run as, when not the stack's own user. */
function execUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (!readFileSync('/etc/passwd', 'utf8').includes(`:${unprivilegedUid}:`)) return undefined;
  // nobody must be able to reach the work directory: every directory above it searchable by others.
  for (let dir = dirname(execWorkDir); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return undefined;
    if (dir === dirname(dir)) return unprivilegedUid;
  }
}

/** The ClusterLogs and ClusterExec of the stack, as one List. */
export function podDebuggingObjects(uid = execUid()): object {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: `${kwokGroup}/v1alpha1`,
        kind: 'ClusterLogs',
        metadata: { name: clusterLogsName, labels: { 'supercloud.dev/stack': 'true' } },
        // No selector: every pod KWOK manages (a selector can only list namespaces and names).
        spec: {
          logs: [{ logsFile: podLogFile, previousLogsFile: podPreviousLogFile, follow: true }],
        },
      },
      {
        apiVersion: `${kwokGroup}/v1alpha1`,
        kind: 'ClusterExec',
        metadata: { name: clusterExecName, labels: { 'supercloud.dev/stack': 'true' } },
        spec: {
          execs: [
            {
              local: {
                workDir: execWorkDir,
                // Appended to the kwok-controller's own (short) environment; the last value wins.
                envs: [
                  { name: 'HOME', value: execWorkDir },
                  { name: 'TMPDIR', value: execWorkDir },
                  { name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin' },
                  { name: 'SUPERCLOUD_KWOK_EXEC', value: 'true' },
                ],
                ...(uid === undefined ? {} : { securityContext: { runAsUser: uid } }),
              },
            },
          ],
        },
      },
    ],
  };
}

function kubectl(kubeconfig: string, args: readonly string[]): string {
  return run(toolPath('kubectl'), ['--kubeconfig', kubeconfig, ...args]);
}

function crdsExist(kubeconfig: string): boolean {
  const out = kubectl(kubeconfig, ['get', 'crd', '-o', 'name', '--ignore-not-found']);
  return Object.values(crdNames).every((name) => out.includes(`/${name}\n`));
}

const enableCrdsArg = `--enable-crds=${podDebuggingKinds.join(',')}`;
const kwokController: ControlPlaneComponent = 'kwok-controller';

interface KwokctlConfig {
  options?: { enableCRDs?: string[] };
  components?: { name: string; args?: string[] }[];
}

/** kwokctl's saved configuration: the KwokctlConfiguration, and the Stages after it. */
function savedKwokctlConfig(): { config: KwokctlConfig; rest: string; file: string } {
  const file = join(kwokClusterDir, 'kwok.yaml');
  const text = readFileSync(file, 'utf8');
  const separator = text.search(/^---$/m);
  const head = separator === -1 ? text : text.slice(0, separator);
  return {
    config: yaml.load(head) as KwokctlConfig,
    rest: separator === -1 ? '' : text.slice(separator),
    file,
  };
}

/** True when the kwok-controller of the running stack watches the KWOK CRDs of logs and exec. */
function kwokControllerWatchesCrds(): boolean {
  const { config } = savedKwokctlConfig();
  const args = config.components?.find((c) => c.name === kwokController)?.args ?? [];
  return args.includes(enableCrdsArg);
}

/** The CRD manifests of the KWOK module the toolchain built (the ones kwokctl embeds). */
function kwokCrdFiles(): string[] {
  const versions = readFileSync(join(repoRoot, 'test/toolchain/versions.env'), 'utf8');
  const version = /^KWOK_VERSION=(\S+)$/m.exec(versions)?.[1];
  if (!version) throw new Error('no KWOK_VERSION in test/toolchain/versions.env');
  const module = `sigs.k8s.io/kwok@${version}`;
  let dir = join(run('go', ['env', 'GOMODCACHE']).trim(), module);
  if (!existsSync(dir)) {
    dir = (JSON.parse(run('go', ['mod', 'download', '-json', module])) as { Dir: string }).Dir;
  }
  return Object.values(crdNames).map((name) =>
    join(dir, 'kustomize/crd/bases', `${kwokGroup}_${name.split('.')[0]}.yaml`),
  );
}

/**
 * Brings a stack made before logs and exec were configured up to date: installs the CRDs, adds
 * `--enable-crds` to kwokctl's saved kwok-controller arguments and restarts the kwok-controller
 * (a few seconds during which pods do not change phase; log follows and execs in progress are cut).
 * Done once per stack.
 */
async function enableCrdsOnRunningStack(kubeconfig: string, log: (m: string) => void) {
  log('this stack predates logs/exec for pods: enabling the KWOK CRDs, restarting kwok-controller');
  if (!crdsExist(kubeconfig)) {
    const files = kwokCrdFiles();
    kubectl(kubeconfig, ['apply', '--server-side', ...files.flatMap((file) => ['-f', file])]);
  }
  const { config, rest, file } = savedKwokctlConfig();
  const component = config.components?.find((c) => c.name === kwokController);
  if (!component) throw new Error(`no ${kwokController} component in ${file}`);
  component.args = [
    ...(component.args ?? []).filter((arg) => !arg.startsWith('--enable-crds')),
    enableCrdsArg,
  ];
  config.options = { ...config.options, enableCRDs: [...podDebuggingKinds] };
  writeFileSync(file, yaml.dump(config, { lineWidth: -1 }) + rest);
  await restartKwokController(kubeconfig);
}

/** Writes `file` with `lines` unless it exists (lines appended to it stay, for followers). */
function writeUnlessPresent(file: string, lines: readonly string[]): void {
  if (!existsSync(file)) writeCriLogFile(file, lines);
}

/**
 * Makes `kubectl logs` and `kubectl exec` work for every pod of the stack: the log files, the exec
 * work directory, the KWOK CRDs (a stack made before this gets them and a kwok-controller
 * restart), and the ClusterLogs and ClusterExec, applied server-side. Idempotent: `stackUp` calls
 * it for a new stack and for one it reuses.
 */
export async function ensurePodDebugging(
  kubeconfig: string,
  log: (message: string) => void,
): Promise<void> {
  writeUnlessPresent(podLogFile, knownLogLines);
  writeUnlessPresent(podPreviousLogFile, knownPreviousLogLines);
  mkdirSync(execWorkDir, { recursive: true });
  const uid = execUid();
  if (uid !== undefined) chownSync(execWorkDir, uid, uid);

  if (!kwokControllerWatchesCrds()) await enableCrdsOnRunningStack(kubeconfig, log);
  kubectl(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...Object.values(crdNames).map((name) => `crd/${name}`),
  ]);
  const manifest = join(stackDir, 'pod-debugging.json');
  writeFileSync(manifest, JSON.stringify(podDebuggingObjects(uid), null, 2) + '\n');
  kubectl(kubeconfig, [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=supercloud-stack',
    '-f',
    manifest,
  ]);
}
