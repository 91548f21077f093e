// `kubectl logs` and `kubectl exec` through the real API server for a pod on a KWOK node: the API
// server reaches the kwok-controller as the node's kubelet, which answers from the stack's
// ClusterLogs and ClusterExec (test/stack/pod-debugging.ts) or from a pod's own Logs object.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { CoreV1Api, Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import {
  execWorkDir,
  knownLogLines,
  knownPreviousLogLines,
  podLogFile,
} from '../../stack/pod-debugging.js';
import { kwokctlEnvNames } from '../../stack/kwok.js';
import { gpuResource } from '../../stack/nodes.js';
import { toolPath } from '../../stack/paths.js';
import { kubectl } from '../../harness/cluster-fixtures.js';
import {
  appendPodLog,
  followPodLog,
  readPodLog,
  removePodLogs,
  setPodLogs,
  type PodLogFollower,
} from '../../harness/pod-logs.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';

/** The texts of a CRI log file's lines (`<time> <stream> <tag> <text>`). */
function criFileTexts(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ').slice(3).join(' '));
}

/**
 * `kubectl exec` with a deadline: KWOK does not pass the end of stdin on to the command (a `cat`
 * would never end), and a synchronous child that hangs would block jest's own timeouts.
 */
function kubectlExec(args: readonly string[], input?: string): string {
  return execFileSync(toolPath('kubectl'), ['--kubeconfig', stack().kubeconfig, 'exec', ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

function linesOf(body: string): string[] {
  return body.split('\n').filter((line) => line !== '');
}

describe('pod logs and exec on KWOK nodes, through the API server', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;
  const pod = 'worker';
  const owned = 'own-logs';
  const followers: PodLogFollower[] = [];

  async function createRunningPod(name: string): Promise<void> {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name },
        spec: {
          // Any KWOK node, GPU nodes included.
          tolerations: [{ key: gpuResource, operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'main', image: 'registry.example.com/team/worker:1.0' }],
        },
      },
    });
    await waitFor(
      `pod ${namespace}/${name} Running`,
      async () => (await core.readNamespacedPod({ namespace, name })).status?.phase === 'Running',
      60_000,
    );
  }

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    namespace = await createTestNamespace(kubeConfig, 'logs-exec');
    await Promise.all([createRunningPod(pod), createRunningPod(owned)]);
  });

  afterAll(async () => {
    followers.forEach((follower) => follower.close());
    await deleteNamespace(kubeConfig, namespace);
    removePodLogs(namespace);
  });

  describe('the stack ClusterLogs (every pod)', () => {
    it('shows the known lines of the stack log file, and the last N with tailLines', async () => {
      const all = linesOf(await readPodLog(kubeConfig, namespace, pod));
      expect(all.slice(0, knownLogLines.length)).toEqual(knownLogLines);
      expect(all).toEqual(criFileTexts(podLogFile));

      const tail = linesOf(await readPodLog(kubeConfig, namespace, pod, { tailLines: 2 }));
      expect(tail).toEqual(criFileTexts(podLogFile).slice(-2));

      // The same through kubectl, with the container named.
      const viaKubectl = kubectl(['logs', '-n', namespace, pod, '-c', 'main', '--tail=1']);
      expect(linesOf(viaKubectl)).toEqual(criFileTexts(podLogFile).slice(-1));
    });

    it('shows the previous-run lines with previous=true', async () => {
      const previous = await readPodLog(kubeConfig, namespace, pod, { previous: true });
      expect(linesOf(previous)).toEqual(knownPreviousLogLines);
    });
  });

  describe("a pod's own Logs object", () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    const lines = ['booting', 'loading weights', 'ready', 'request 1', 'request 2'].map(
      (text, i) => ({ text, time: new Date(start + i * 60_000) }),
    );
    let files: ReturnType<typeof setPodLogs>;

    beforeAll(async () => {
      files = setPodLogs(namespace, owned, lines, ['crashed: CUDA out of memory']);
      // The kwok-controller sees the new Logs object within a moment.
      await waitFor(
        'the pod to show its own logs',
        async () => (await readPodLog(kubeConfig, namespace, owned)).startsWith('booting\n'),
        15_000,
      );
    });

    it('serves tailLines, sinceTime, timestamps, limitBytes and previous', async () => {
      const read = async (query: Record<string, string | number | boolean>) =>
        linesOf(await readPodLog(kubeConfig, namespace, owned, query));
      expect(await read({})).toEqual(lines.map((line) => line.text));
      expect(await read({ tailLines: 2 })).toEqual(['request 1', 'request 2']);
      expect(await read({ sinceTime: lines[2]!.time.toISOString() })).toEqual([
        'ready',
        'request 1',
        'request 2',
      ]);
      // RFC 3339 with nanoseconds, as the kubelet shows them.
      expect(await read({ tailLines: 1, timestamps: true })).toEqual([
        '2030-01-01T00:04:00.000000000Z request 2',
      ]);
      expect(await read({ limitBytes: 'booting\n'.length })).toEqual(['booting']);
      expect(await read({ previous: true })).toEqual(['crashed: CUDA out of memory']);
    });

    it('streams the lines appended after a follow=true request', async () => {
      const follower = await followPodLog(kubeConfig, namespace, owned, { tailLines: 1 });
      followers.push(follower);
      // The last line comes first: the stream is open and reading the file.
      await follower.waitForLine((line) => line === 'request 2');
      const marker = `request 3 (${Date.now()})`;
      appendPodLog(files, marker);
      await follower.waitForLine((line) => line === marker);
      appendPodLog(files, 'request 4');
      await follower.waitForLine((line) => line === 'request 4');
      expect(follower.lines).toEqual(['request 2', marker, 'request 4']);
      follower.close();
    });
  });

  describe('the stack ClusterExec', () => {
    it('runs a command and returns its output (kubectl exec)', () => {
      expect(kubectlExec(['-n', namespace, pod, '-c', 'main', '--', 'echo', 'hello'])).toBe(
        'hello\n',
      );
    });

    it('runs in the stack exec work directory, as nobody when the stack runs as root', () => {
      const out = kubectl([
        'exec',
        '-n',
        namespace,
        pod,
        '--',
        'sh',
        '-c',
        'pwd; echo $HOME; id -u',
      ]);
      const [pwd, home, uid] = linesOf(out);
      expect(pwd).toBe(execWorkDir);
      expect(home).toBe(execWorkDir);
      expect(uid).toBe(process.getuid?.() === 0 ? '65534' : String(process.getuid?.()));
    });

    it('passes stdin through (kubectl exec -i), but not its end', () => {
      // `head -n 2` ends after two lines; `cat` would wait for an end of input that never comes.
      expect(
        kubectlExec(['-i', '-n', namespace, pod, '--', 'head', '-n', '2'], 'ping\npong\n'),
      ).toBe('ping\npong\n');
    });

    it('reports a non-zero exit as an error with the status in the message, not as the exit code', () => {
      let failure: { status?: number; stdout?: string; stderr?: string } = {};
      try {
        kubectlExec(['-n', namespace, pod, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      } catch (error) {
        failure = error as typeof failure;
      }
      expect(failure.status).toBe(1);
      expect(failure.stdout).toBe('out\n');
      expect(failure.stderr).toContain('err\n');
      expect(failure.stderr).toContain('exit status 3');
    });

    it('gives the command no environment of the shell that started the stack', () => {
      // PWD: set by Go's os/exec to the working directory.
      const allowed = new Set([...kwokctlEnvNames, 'PWD', 'SUPERCLOUD_KWOK_EXEC']);
      const names = linesOf(kubectlExec(['-n', namespace, pod, '--', 'env'])).map(
        (line) => line.split('=')[0],
      );
      expect(names.filter((name) => !allowed.has(name!))).toEqual([]);
      expect(names).toContain('SUPERCLOUD_KWOK_EXEC');
    });

    it('serves an interactive shell with a TTY over WebSocket (the client library)', async () => {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      let output = '';
      stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      let resolveStatus: (status: V1Status) => void = () => undefined;
      const status = new Promise<V1Status>((resolve) => (resolveStatus = resolve));
      const socket = await new Exec(kubeConfig).exec(
        namespace,
        pod,
        'main',
        ['sh'],
        stdout,
        null,
        stdin,
        true,
        resolveStatus,
      );
      try {
        stdin.write('echo answer=$((6*7))\n');
        await waitFor('the shell to answer', async () => output.includes('answer=42'), 15_000, 50);
        stdin.write('exit\n');
        expect((await status).status).toBe('Success');
      } finally {
        socket.close();
      }
    });
  });
});
