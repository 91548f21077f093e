// The gateway suites' view of a refused shell: the HTTP answer to a WebSocket upgrade request
// (shell.test.ts, replicas.test.ts).
import WebSocket from 'ws';
import { shellSubprotocol } from '../../../operator/src/gateway/shell-protocol.js';

/** The HTTP refusal of an upgrade request sent with `headers` (no WebSocket is made). */
export function shellRefusal(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; code: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(new URL(path, url), [shellSubprotocol], { headers });
    socket.once('open', () => {
      socket.close();
      reject(new Error(`${path} was upgraded`));
    });
    socket.once('unexpected-response', (request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        const body = JSON.parse(text) as { error: { code: string } };
        resolve({ status: response.statusCode ?? 0, code: body.error.code });
      });
    });
    socket.once('error', reject);
  });
}
