// Container logs of the stack's KWOK pods, for the suites that read them through the API server
// (the provider gateway's tenant logs). Every pod shows the stack's ClusterLogs file
// (test/stack/pod-debugging.ts); `setPodLogs` gives one pod lines of its own.
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { criLogLine, podLogsDir, writeCriLogFile } from '../stack/pod-debugging.js';
import { kubectl } from './cluster-fixtures.js';

export interface PodLogFiles {
  /** What `kubectl logs` shows. */
  readonly file: string;
  /** What `kubectl logs --previous` shows. */
  readonly previousFile: string;
}

/** A line with the time KWOK shows for it (`timestamps=true`, `sinceTime`). */
export interface TimedLine {
  readonly text: string;
  readonly time: Date;
}

/**
 * Gives one pod logs of its own: CRI files under `.stack/pod-logs/<namespace>/<pod>/` and a KWOK
 * `Logs` object of the pod's name and namespace (it wins over the stack's ClusterLogs, for every
 * container of the pod). Lines given as strings are timed one second apart, the last one now.
 * Deleting the namespace deletes the Logs object; `removePodLogs` deletes the files.
 */
export function setPodLogs(
  namespace: string,
  pod: string,
  lines: readonly (string | TimedLine)[],
  previousLines: readonly string[] = [],
): PodLogFiles {
  const dir = join(podLogsDir, namespace, pod);
  mkdirSync(dir, { recursive: true });
  const files: PodLogFiles = {
    file: join(dir, 'current.log'),
    previousFile: join(dir, 'previous.log'),
  };
  if (lines.every((line) => typeof line === 'string')) {
    writeCriLogFile(files.file, lines as readonly string[]);
  } else {
    writeCriLogFile(files.file, []);
    for (const line of lines) {
      appendFileSync(
        files.file,
        typeof line === 'string' ? criLogLine(line) : criLogLine(line.text, line.time),
      );
    }
  }
  writeCriLogFile(files.previousFile, previousLines);
  kubectl(
    ['apply', '--server-side', '--field-manager=supercloud-tests', '-f', '-'],
    JSON.stringify({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Logs',
      metadata: { name: pod, namespace },
      spec: {
        logs: [{ logsFile: files.file, previousLogsFile: files.previousFile, follow: true }],
      },
    }),
  );
  return files;
}

/** Appends a line to a pod's log file (a follower of the pod's logs receives it). */
export function appendPodLog(files: PodLogFiles, text: string, time = new Date()): void {
  appendFileSync(files.file, criLogLine(text, time));
}

/** Deletes the files `setPodLogs` wrote for the pods of a namespace. */
export function removePodLogs(namespace: string): void {
  rmSync(join(podLogsDir, namespace), { recursive: true, force: true });
}

/** The query of GET /api/v1/namespaces/{namespace}/pods/{pod}/log (PodLogOptions). */
export type PodLogQuery = Record<string, string | number | boolean>;

function logRequestUrl(kubeConfig: KubeConfig, namespace: string, pod: string, q: PodLogQuery) {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
    server,
  );
  for (const [key, value] of Object.entries(q)) url.searchParams.set(key, String(value));
  return url;
}

/** GET .../pods/{pod}/log through the API server; throws with the status and body unless 200. */
export async function readPodLog(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
  query: PodLogQuery = {},
): Promise<string> {
  const options: RequestOptions = { timeout: 10_000 };
  await kubeConfig.applyToHTTPSOptions(options);
  const url = logRequestUrl(kubeConfig, namespace, pod, query);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${url.pathname}${url.search}: ${response.statusCode} ${body}`)),
      );
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error(`GET ${url.pathname}: timed out`)));
    request.end();
  });
}

/** A `follow=true` log stream: the lines received so far, a wait for a line, and `close`. */
export interface PodLogFollower {
  readonly lines: readonly string[];
  /** Resolves with the first line received (now or later) that satisfies `match`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** GET .../pods/{pod}/log?follow=true through the API server, read as lines while it streams. */
export async function followPodLog(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
  query: PodLogQuery = {},
): Promise<PodLogFollower> {
  const options: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const url = logRequestUrl(kubeConfig, namespace, pod, { ...query, follow: true });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let failure: Error | undefined;
  let partial = '';
  const notify = () => waiters.forEach((waiter) => waiter());
  const request = httpsRequest(url, options, (response) => {
    response.setEncoding('utf8');
    // `close` destroys the stream: that error is the end of the follow, not a failure.
    response.on('error', () => undefined);
    if (response.statusCode !== 200) {
      let body = '';
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        failure = new Error(`GET ${url.pathname}${url.search}: ${response.statusCode} ${body}`);
        notify();
      });
      return;
    }
    response.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      notify();
    });
  });
  request.on('error', (error) => {
    failure ??= error;
    notify();
  });
  request.end();
  return {
    lines,
    waitForLine(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no matching log line within ${timeoutMs} ms; got ${lines.join(' | ')}`),
          );
        }, timeoutMs);
        function check() {
          const line = lines.find(match);
          if (line === undefined && !failure) return;
          clearTimeout(timer);
          waiters.delete(check);
          if (line !== undefined) resolve(line);
          else reject(failure!);
        }
        waiters.add(check);
        check();
      });
    },
    close() {
      request.destroy();
    },
  };
}
