// A small remote signer for the tests: an HTTP(S) JSON-RPC server on 127.0.0.1 holding one key
// and answering `eth_accounts` and `eth_signTransaction` the way Web3Signer does (the raw signed
// transaction as a hex string; the chain id its own). It can be taken down and brought back on the
// same port, and made to misbehave: sign with another key, or change what it was asked to sign.
// And a real implementation of the same convention: anvil, whose `eth_signTransaction` signs with
// its development accounts (`startAnvilSigner`).
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet, getAddress, randomBytes } from 'ethers';
import { repoRoot } from '../stack/paths.js';
import { waitFor } from '../stack/process.js';
import { freePort, spawnAnvil } from './test-chain.js';

/**
 * How it answers `eth_signTransaction`: `honest` signs what it is asked; `other-key` signs it with
 * a key that is not the provider's; `redirect` signs with the right key but sends the transaction
 * to an address of its own.
 */
export type SignerBehaviour = 'honest' | 'other-key' | 'redirect';

export interface TestRemoteSignerOptions {
  /** The key it holds: the provider wallet. */
  readonly key: Wallet;
  /** The chain id it signs for (a Web3Signer is configured with one). */
  readonly chainId: number;
  /** A bearer token every request must carry (`Authorization: Bearer <token>`); none if unset. */
  readonly token?: string;
  /** Serve HTTPS with the test certificate of 127.0.0.1 (`testSignerCa` is its CA). */
  readonly tls?: boolean;
}

/** A request the signer received: its method and whether it carried the token. */
export interface SignerRequest {
  readonly method: string;
  readonly authorized: boolean;
}

export interface TestRemoteSigner {
  /** `http(s)://127.0.0.1:<port>`: the same across `down()` and `up()`. */
  readonly url: string;
  readonly address: string;
  /** Every request received, in order. */
  readonly requests: SignerRequest[];
  /** How `eth_signTransaction` is answered from now on. */
  behave(behaviour: SignerBehaviour): void;
  /** Stops listening and drops open connections: requests are refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const fixtures = join(repoRoot, 'test/harness/fixtures');
/** The CA the test signer's HTTPS certificate (for IP 127.0.0.1) chains to: itself. */
export const testSignerCa = readFileSync(join(fixtures, 'remote-signer-tls.crt'), 'utf8');

/** An address no test key holds: where a `redirect` signer sends transactions. */
export const redirectAddress = getAddress('0x000000000000000000000000000000000000dEaD');

/** Starts the signer on a free port of 127.0.0.1. Stop it in afterAll. */
export async function startTestRemoteSigner(
  options: TestRemoteSignerOptions,
): Promise<TestRemoteSigner> {
  const { key, chainId, token } = options;
  const otherKey = Wallet.createRandom();
  const requests: SignerRequest[] = [];
  let behaviour: SignerBehaviour = 'honest';

  const answer = async (method: string, params: unknown[]): Promise<unknown> => {
    if (method === 'eth_accounts') return [key.address.toLowerCase()];
    if (method !== 'eth_signTransaction')
      throw new RpcError(-32601, `the method ${method} does not exist`);
    const tx = params[0] as Record<string, string | undefined>;
    if (!tx?.from || getAddress(tx.from) !== key.address) {
      throw new RpcError(-32000, `no key for account ${tx?.from}`);
    }
    const request = {
      type: 2,
      chainId,
      nonce: Number(tx.nonce),
      to: tx.to,
      data: tx.data ?? '0x',
      value: BigInt(tx.value ?? 0),
      gasLimit: BigInt(tx.gas ?? 90_000),
      maxFeePerGas: BigInt(tx.maxFeePerGas ?? 0),
      maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas ?? 0),
    };
    if (behaviour === 'other-key') return otherKey.signTransaction(request);
    if (behaviour === 'redirect') return key.signTransaction({ ...request, to: redirectAddress });
    return key.signTransaction(request);
  };

  const handle = (request: IncomingMessage, body: string): Promise<[number, unknown]> => {
    let call: { id?: unknown; method?: string; params?: unknown[] };
    try {
      call = JSON.parse(body) as typeof call;
    } catch {
      return Promise.resolve([
        400,
        { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } },
      ]);
    }
    const authorized = !token || request.headers.authorization === `Bearer ${token}`;
    requests.push({ method: String(call.method), authorized });
    if (!authorized) return Promise.resolve([401, { error: 'unauthorized' }]);
    return answer(String(call.method), call.params ?? []).then(
      (result) => [200, { jsonrpc: '2.0', id: call.id, result }],
      (error: unknown) => [
        200,
        {
          jsonrpc: '2.0',
          id: call.id,
          error:
            error instanceof RpcError
              ? { code: error.code, message: error.message }
              : { code: -32603, message: String(error) },
        },
      ],
    );
  };

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void handle(request, Buffer.concat(chunks).toString('utf8')).then(([status, payload]) => {
        response
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(payload));
      });
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(
        { cert: testSignerCa, key: readFileSync(join(fixtures, 'remote-signer-tls.key'), 'utf8') },
        listener,
      )
    : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  const port = await listen(0);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    address: key.address,
    requests,
    behave: (next) => {
      behaviour = next;
    },
    down: close,
    up: async () => {
      await listen(port);
    },
    stop: close,
  };
}

/** A JSON-RPC error answer. */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** anvil running as a signer only: it holds one fresh key and signs for it. */
export interface AnvilSigner {
  readonly url: string;
  /** The key anvil holds (known to the test, which registers and funds it). */
  readonly key: HDNodeWallet;
  stop(): Promise<void>;
}

/**
 * anvil as a remote signer: a real `eth_signTransaction` implementation, with one account from a
 * fresh mnemonic (no other test knows its key), signing for `chainId`. Its own chain is unused.
 */
export async function startAnvilSigner(chainId: number): Promise<AnvilSigner> {
  const port = await freePort();
  const phrase = Mnemonic.fromEntropy(randomBytes(16)).phrase;
  const anvil = spawnAnvil(
    port,
    chainId,
    ['--mnemonic', phrase, '--accounts', '1', '--silent'],
    'ignore',
  );
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true });
  const stop = async (): Promise<void> => {
    provider.destroy();
    await anvil.stop();
  };
  try {
    await waitFor(
      `anvil signer on port ${port}`,
      async () => ((await provider.send('eth_accounts', [])) as string[]).length === 1,
      30_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  // anvil's accounts: the mnemonic's first BIP-44 Ethereum key.
  return { url, key: HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'/0/0"), stop };
}
