import { shellPath } from './shell-session.js';

/** What an HTTP client sends for `path` on a gateway URL: what the gateway checks the signature on. */
const sent = (path: string) => {
  const url = new URL(path, 'https://gateway.example:8443/');
  return `${url.pathname}${url.search}`;
};

describe('shellPath', () => {
  it('names the service, the replica and each argument of the command, in order', () => {
    expect(
      shellPath({ leaseId: 7n, service: 'llm', replica: 1, command: ['ls', '-l', '/tmp'] }),
    ).toBe('/v1/leases/7/shell?service=llm&replica=1&command=ls&command=-l&command=%2Ftmp');
  });

  it('asks for a terminal (which implies stdin), or for stdin alone', () => {
    expect(shellPath({ leaseId: 7n, command: ['sh'], tty: true, stdin: true })).toBe(
      '/v1/leases/7/shell?tty=true&command=sh',
    );
    expect(shellPath({ leaseId: 7n, command: ['cat'], stdin: true })).toBe(
      '/v1/leases/7/shell?stdin=true&command=cat',
    );
  });

  it.each([
    [['sh', '-c', 'echo "a b" $HOME; exit 3']],
    [['python3', '-c', "print('é ✓ ?&=#%+')"]],
    [[]],
  ])('is sent exactly as signed: %j', (command) => {
    const path = shellPath({ leaseId: 12345678901234567890n, command });
    expect(sent(path)).toBe(path);
    expect(new URL(path, 'http://gateway').searchParams.getAll('command')).toEqual(command);
  });
});
