import type { ComputeLease } from '../api/computelease.js';
import type { Provider } from '../api/provider.js';
import { validLease } from '../workloads/testing/corpus.js';
import { GatewayError } from './errors.js';
import { parseShellRequest, requireShellEnabled, shellsEnabled } from './shell.js';
import { shellCommandLimits } from './shell-protocol.js';

function lease(services: string[] = ['app']): ComputeLease {
  const l = validLease('lease-7', 7);
  const [first] = l.spec.manifest.services;
  return {
    ...l,
    spec: {
      ...l.spec,
      manifest: {
        ...l.spec.manifest,
        services: services.map((name) => ({ ...first!, name, replicas: 2 })),
      },
    },
  };
}

/** The code and message of the GatewayError `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return `${error.status} ${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('accepted');
}

const request = (text: string, l = lease()) => parseShellRequest(new URLSearchParams(text), l);

describe('parseShellRequest', () => {
  it('runs the command in the only service, first replica, without stdin or a terminal', () => {
    expect(request('command=ls&command=-l')).toEqual({
      service: 'app',
      replica: 0,
      command: ['ls', '-l'],
      tty: false,
      stdin: false,
    });
  });

  it('reads service, replica, stdin and tty; a terminal always has stdin', () => {
    expect(request('service=db&replica=1&command=sh&tty=true', lease(['app', 'db']))).toEqual({
      service: 'db',
      replica: 1,
      command: ['sh'],
      tty: true,
      stdin: true,
    });
    expect(request('command=cat&stdin=true')).toMatchObject({ stdin: true, tty: false });
  });

  it('refuses a missing or oversized command, naming the bound', () => {
    expect(refusal(() => request(''))).toMatch(/^400 CommandRequired: name the program/);
    expect(refusal(() => request('command='))).toMatch(/^400 CommandRequired/);
    const many = Array.from({ length: shellCommandLimits.args + 1 }, () => 'command=a').join('&');
    expect(refusal(() => request(many))).toBe(
      `400 BadCommand: the command has more than ${shellCommandLimits.args} arguments`,
    );
    const long = `command=${'a'.repeat(shellCommandLimits.argLength + 1)}`;
    expect(refusal(() => request(long))).toMatch(/^400 BadCommand: .* longer than 4096/);
    const total = Array.from({ length: 5 }, () => `command=${'a'.repeat(4000)}`).join('&');
    expect(refusal(() => request(total))).toMatch(/^400 BadCommand: .* in all$/);
    expect(refusal(() => request('command=a%00b'))).toMatch(/NUL/);
  });

  it('refuses an unknown service, a replica beyond the manifest, and a bad flag', () => {
    expect(refusal(() => request('service=nope&command=sh'))).toMatch(/^404 NoSuchService/);
    expect(refusal(() => request('replica=2&command=sh'))).toMatch(/^400 BadQuery: replica/);
    expect(refusal(() => request('command=sh', lease(['app', 'db'])))).toMatch(
      /^400 ServiceRequired/,
    );
    expect(refusal(() => request('command=sh&tty=maybe'))).toBe(
      '400 BadQuery: tty must be true or false',
    );
  });
});

describe('shells are off unless the Provider turns them on', () => {
  const provider = (gateway: unknown) => ({ spec: { gateway } }) as unknown as Provider;

  it.each([
    [undefined, false],
    [{}, false],
    [{ shell: {} }, false],
    [{ shell: { enabled: false } }, false],
    [{ shell: { enabled: true } }, true],
  ])('spec.gateway %j: %s', (gateway, enabled) => {
    expect(shellsEnabled(provider(gateway))).toBe(enabled);
  });

  it('refuses with 403 when off, and when the lease has no Provider', () => {
    expect(refusal(() => requireShellEnabled(undefined))).toMatch(/^403 ShellDisabled/);
    expect(() => requireShellEnabled(provider({ shell: { enabled: true } }))).not.toThrow();
  });
});
