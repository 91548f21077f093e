import { websocketUrlOf } from './new-heads.js';

describe('websocketUrlOf', () => {
  it('maps http(s) to ws(s) on the same host, port and path', () => {
    expect(websocketUrlOf('http://127.0.0.1:8545')).toBe('ws://127.0.0.1:8545');
    expect(websocketUrlOf('https://rpc.example/v1/key')).toBe('wss://rpc.example/v1/key');
  });

  it('has no answer for other schemes', () => {
    expect(websocketUrlOf('ws://127.0.0.1:8545')).toBeUndefined();
    expect(websocketUrlOf('ipc:///tmp/geth.ipc')).toBeUndefined();
  });
});
