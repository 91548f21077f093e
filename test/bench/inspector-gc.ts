// A full garbage collection in another Node process, through its inspector (started with
// `--inspect=127.0.0.1:0`), so that a bench reads the memory the process really holds rather than
// whatever garbage V8 has not collected yet: a quiet process may keep hundreds of MiB of it.

/** Node's flag for a child whose garbage a bench will collect: an inspector on a free local port. */
export const inspectorNodeArgs: readonly string[] = ['--inspect=127.0.0.1:0'];

/** The inspector's WebSocket URL from the process's log lines (Node prints it on stderr). */
function inspectorUrl(lines: readonly Record<string, unknown>[]): string {
  for (const line of lines) {
    const match = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(String(line.message));
    if (match?.[1]) return match[1];
  }
  throw new Error('the process has no inspector: start it with inspectorNodeArgs');
}

/**
 * Runs a full garbage collection in the process whose log lines are given and resolves when it
 * is done (HeapProfiler.collectGarbage over the DevTools protocol).
 *
 * @example await collectGarbage(operator.lines); const { rss } = residentBytes(operator.child.pid)!;
 */
export async function collectGarbage(lines: readonly Record<string, unknown>[]): Promise<void> {
  const socket = new WebSocket(inspectorUrl(lines));
  const timer = setTimeout(() => socket.close(), 120_000);
  socket.addEventListener('close', () => clearTimeout(timer));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('close', () => reject(new Error('inspector unreachable')), {
        once: true,
      });
    });
    const done = new Promise<void>((resolve, reject) => {
      // Closed before the answer (the timeout above, or the process went away).
      socket.addEventListener('close', () => reject(new Error('collectGarbage: no answer')));
      socket.addEventListener('message', (event) => {
        const reply = JSON.parse(String(event.data)) as { id?: number; error?: unknown };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(`collectGarbage: ${JSON.stringify(reply.error)}`));
        else resolve();
      });
    });
    socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    await done;
  } finally {
    socket.close();
  }
}
