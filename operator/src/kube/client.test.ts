import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, collectionPath, objectPath, type WatchEvent } from './client.js';
import { KubeApiError, KubeConnectionError, isGone } from './errors.js';
import { ConfigMapKind, DeploymentKind, NamespaceKind, type KubeObject } from './objects.js';

// A loopback HTTP server stands in for the API server: it records requests and answers with
// whatever the test scripts, so the client's wire behaviour is checked without a cluster.
type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function fakeApiServer(handler: Handler) {
  const requests: {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    { name: 'user', token: 'secret-token' },
  );
  return {
    requests,
    kubeConfig,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (response: ServerResponse, code: number, body: unknown) =>
  response.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

describe('resource paths', () => {
  it('builds core, group, namespaced and cluster-scoped URLs', () => {
    expect(collectionPath(ConfigMapKind, 'ns')).toBe('/api/v1/namespaces/ns/configmaps');
    expect(collectionPath(ConfigMapKind)).toBe('/api/v1/configmaps');
    expect(objectPath(DeploymentKind, 'ns', 'web', 'status')).toBe(
      '/apis/apps/v1/namespaces/ns/deployments/web/status',
    );
    expect(objectPath(NamespaceKind, undefined, 'lease-1')).toBe('/api/v1/namespaces/lease-1');
    expect(() => objectPath(ConfigMapKind, undefined, 'x')).toThrow(/namespaced but no namespace/);
  });
});

describe('KubeClient', () => {
  it('sends server-side apply with the field manager, force, auth and impersonation headers', async () => {
    const api = await fakeApiServer((_request, body, response) =>
      json(response, 200, JSON.parse(body)),
    );
    const client = new KubeClient({
      kubeConfig: api.kubeConfig,
      impersonate: { user: 'system:serviceaccount:supercloud:operator', groups: ['a', 'b'] },
    });
    try {
      await client.patch(
        ConfigMapKind,
        'cm',
        'apply',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } },
        { namespace: 'ns', force: true },
      );
      const [request] = api.requests;
      expect(request?.method).toBe('PATCH');
      expect(request?.url).toBe(
        '/api/v1/namespaces/ns/configmaps/cm?fieldManager=supercloud-operator&force=true',
      );
      expect(request?.headers['content-type']).toBe('application/apply-patch+yaml');
      expect(request?.headers.authorization).toBe('Bearer secret-token');
      expect(request?.headers['impersonate-user']).toBe(
        'system:serviceaccount:supercloud:operator',
      );
      expect(request?.headers['impersonate-group']).toBe('a, b'); // two headers, joined by Node
      expect(client.requestCount).toBe(1);
      expect(client.requestCountsByMethod()).toEqual({ PATCH: 1 });
    } finally {
      client.close();
      await api.close();
    }
  });

  it('follows list pagination, restores apiVersion and kind on items and maps each page as it comes', async () => {
    const api = await fakeApiServer((request, _body, response) => {
      const page = new URL(request.url ?? '', 'http://x').searchParams.get('continue');
      json(response, 200, {
        metadata: { resourceVersion: '42', continue: page ? undefined : 'next' },
        items: [{ metadata: { name: page ? 'second' : 'first', namespace: 'ns' } }],
      });
    });
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    try {
      const mappedAfterRequests: number[] = [];
      const list = await client.list(ConfigMapKind, { namespace: 'ns', limit: 1 }, (item) => {
        mappedAfterRequests.push(api.requests.length);
        return { ...item, data: { mapped: 'yes' } };
      });
      expect(list.items.map((item) => [item.kind, item.metadata?.name, item.data])).toEqual([
        ['ConfigMap', 'first', { mapped: 'yes' }],
        ['ConfigMap', 'second', { mapped: 'yes' }],
      ]);
      // Each page's items are mapped before the next page is asked for.
      expect(mappedAfterRequests).toEqual([1, 2]);
      expect(list.resourceVersion).toBe('42');
      expect(api.requests.map((r) => r.url)).toEqual([
        '/api/v1/namespaces/ns/configmaps?limit=1',
        '/api/v1/namespaces/ns/configmaps?limit=1&continue=next',
      ]);
    } finally {
      client.close();
      await api.close();
    }
  });

  it('turns error statuses into KubeApiError, 404 on get into undefined, and no answer into KubeConnectionError', async () => {
    const api = await fakeApiServer((request, _body, response) => {
      if (request.method === 'GET')
        json(response, 404, { kind: 'Status', reason: 'NotFound', code: 404 });
      else
        json(response, 403, {
          kind: 'Status',
          reason: 'Forbidden',
          message: 'cannot create',
          code: 403,
        });
    });
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    try {
      expect(await client.get(ConfigMapKind, 'missing', 'ns')).toBeUndefined();
      const error = await client
        .create(ConfigMapKind, { metadata: { name: 'x', namespace: 'ns' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({ code: 403, reason: 'Forbidden' });
      expect((error as Error).message).toMatch(/cannot create.*ClusterRole/);
    } finally {
      client.close();
      await api.close();
    }
    const unreachable = new KubeClient({ kubeConfig: api.kubeConfig });
    await expect(unreachable.get(ConfigMapKind, 'x', 'ns')).rejects.toBeInstanceOf(
      KubeConnectionError,
    );
    unreachable.close();
  });

  it('streams watch events split across chunks, with bookmarks, until the server closes', async () => {
    const api = await fakeApiServer((_request, _body, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      const lines = [
        { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } },
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
      ].map((event) => JSON.stringify(event) + '\n');
      const text = lines.join('');
      response.write(text.slice(0, 10));
      setTimeout(() => response.end(text.slice(10)), 20);
    });
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    try {
      const events: WatchEvent<KubeObject>[] = [];
      const end = await client.watch(
        ConfigMapKind,
        { namespace: 'ns', resourceVersion: '1', timeoutSeconds: 300, idleTimeoutMs: 10_000 },
        (event) => events.push(event),
      );
      expect(end).toEqual({ reason: 'closed' });
      expect(events.map((e) => `${e.type} ${e.object.metadata?.resourceVersion}`)).toEqual([
        'ADDED 2',
        'BOOKMARK 3',
      ]);
      expect(api.requests[0]?.url).toBe(
        '/api/v1/namespaces/ns/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=300',
      );
    } finally {
      client.close();
      await api.close();
    }
  });

  it('ends a watch that stays silent past the idle bound, and reports 410 as Gone', async () => {
    let calls = 0;
    const api = await fakeApiServer((_request, _body, response) => {
      if (calls++ === 0)
        response.writeHead(200).write(''); // headers, then nothing: half-open
      else json(response, 410, { kind: 'Status', reason: 'Expired', code: 410 });
    });
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    try {
      const options = {
        namespace: 'ns',
        resourceVersion: '1',
        timeoutSeconds: 300,
        idleTimeoutMs: 50,
      };
      expect(await client.watch(ConfigMapKind, options, () => undefined)).toEqual({
        reason: 'idle',
      });
      const gone = await client.watch(ConfigMapKind, options, () => undefined);
      expect(gone.reason === 'error' && isGone(gone.error)).toBe(true);
    } finally {
      client.close();
      await api.close();
    }
  });

  it('ends a watch at once when its signal aborts', async () => {
    const api = await fakeApiServer((_request, _body, response) =>
      response.writeHead(200).write(''),
    );
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    try {
      const abort = new AbortController();
      const watching = client.watch(
        ConfigMapKind,
        { resourceVersion: '1', timeoutSeconds: 300, idleTimeoutMs: 60_000, signal: abort.signal },
        () => undefined,
      );
      setTimeout(() => abort.abort(), 20);
      expect(await watching).toEqual({ reason: 'aborted' });
    } finally {
      client.close();
      await api.close();
    }
  });
});

describe('KubeClient.onRecovered', () => {
  it('fires on the first success after no answer or a 5xx, once per outage', async () => {
    let status = 503;
    const api = await fakeApiServer((_request, _body, response) => json(response, status, {}));
    const client = new KubeClient({ kubeConfig: api.kubeConfig });
    let recoveries = 0;
    client.onRecovered(() => recoveries++);
    try {
      await client.get(ConfigMapKind, 'a', 'ns').catch(() => undefined); // 503
      status = 200;
      await client.get(ConfigMapKind, 'a', 'ns');
      await client.get(ConfigMapKind, 'a', 'ns');
      expect(recoveries).toBe(1);
    } finally {
      client.close();
      await api.close();
    }
  });
});
