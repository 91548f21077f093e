// A git server on 127.0.0.1 for GitOps tests: git's own smart-HTTP server (`git http-backend`,
// a CGI program) behind a small Node HTTP server, so a GitOps engine clones and fetches the
// repositories a test writes exactly as it would from a forge. Only git and Node are needed.
// Clone and fetch only: the test commits into the served repositories directly. The server runs
// in the test's process, so a client in that process must not call it synchronously (a blocked
// event loop answers nothing).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A repository the server serves, with a work tree the test edits and commits from. */
export interface ServedRepository {
  /** The clone URL (http://127.0.0.1:<port>/<name>.git). */
  readonly url: string;
  /** The work tree: write files here, then `commit`. */
  readonly workTree: string;
  /** Commits everything in the work tree to the served branch; returns the commit's id. */
  commit(message: string): string;
}

export interface GitServer {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** A new empty repository served as `<name>.git`, on `branch` (default main). */
  createRepository(name: string, branch?: string): ServedRepository;
  /** Stops serving and removes the repositories. */
  close(): Promise<void>;
}

/** Runs git; throws with its stderr when it fails. */
function git(args: readonly string[], cwd?: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** The CGI environment of one request (RFC 3875), as git http-backend reads it. */
function cgiEnvironment(request: IncomingMessage, projectRoot: string): NodeJS.ProcessEnv {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const header = (name: string): string => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  return {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: projectRoot,
    // Every repository under the root is public: no git-daemon-export-ok files needed.
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: request.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: header('content-type'),
    CONTENT_LENGTH: header('content-length'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
    // Protocol v2 (git >= 2.18 clients) is asked for in this header.
    GIT_PROTOCOL: header('git-protocol'),
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
  };
}

/** Answers one request with `git http-backend`: CGI headers first, then the body streamed. */
function serveWithHttpBackend(
  request: IncomingMessage,
  response: ServerResponse,
  projectRoot: string,
): void {
  const backend = spawn('git', ['http-backend'], {
    env: cgiEnvironment(request, projectRoot),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  request.pipe(backend.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    headersSent = true;
    response.write(head.subarray(end + 4));
  });
  let errors = '';
  backend.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  // git missing or not runnable: 'close' follows with no headers sent, and answers 500.
  backend.on('error', (error) => (errors += error.message));
  backend.on('close', (code) => {
    if (!headersSent) {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`git http-backend exited ${code}: ${errors}`);
      return;
    }
    response.end();
  });
}

/** Starts a git smart-HTTP server on a free port of 127.0.0.1. Close it in afterAll. */
export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'supercloud-git-'));
  const projectRoot = join(root, 'served');
  mkdirSync(projectRoot);
  const server = createServer((request, response) =>
    serveWithHttpBackend(request, response, projectRoot),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    createRepository(name, branch = 'main') {
      const gitDir = join(projectRoot, `${name}.git`);
      const workTree = join(root, 'work', name);
      mkdirSync(workTree, { recursive: true });
      git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, gitDir]);
      // The work tree commits straight into the served (bare) repository: nothing to push.
      const inRepo = ['--git-dir', gitDir, '--work-tree', workTree];
      const identity = [
        '-c',
        'user.name=supercloud tests',
        '-c',
        'user.email=tests@supercloud.dev',
      ];
      return {
        url: `${baseUrl}/${name}.git`,
        workTree,
        commit(message) {
          git([...inRepo, 'add', '--all']);
          git([...identity, ...inRepo, 'commit', '--quiet', '--allow-empty', '-m', message]);
          return git([...inRepo, 'rev-parse', 'HEAD']);
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
