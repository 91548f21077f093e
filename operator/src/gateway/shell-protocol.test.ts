import { GatewayError } from './errors.js';
import {
  exitFromStatus,
  kubeResizeFrame,
  parseResize,
  parseShellExit,
  parseShellFrame,
  shellChannels,
  shellFrame,
} from './shell-protocol.js';

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

describe('frames', () => {
  it('carry the stream in the first byte', () => {
    const frame = shellFrame(shellChannels.stdout, 'hi\n');
    expect([...frame]).toEqual([1, 104, 105, 10]);
    expect(parseShellFrame(frame)).toEqual({ channel: 1, payload: Buffer.from('hi\n') });
    expect(parseShellFrame(Buffer.alloc(0))).toBeUndefined();
  });

  it('a resize is checked, then sent in the kubelet form', () => {
    expect(parseResize(Buffer.from('{"width":120,"height":40}'))).toEqual({
      width: 120,
      height: 40,
    });
    expect(kubeResizeFrame({ width: 120, height: 40 }).toString()).toBe(
      '\u0004{"Width":120,"Height":40}',
    );
    for (const bad of ['', 'nope', '{"width":0,"height":1}', '{"width":1.5,"height":1}', '[]']) {
      expect(refusal(() => parseResize(Buffer.from(bad)))).toMatch(/^400 BadResize/);
    }
  });

  it('an exit message is read back, anything else is not one', () => {
    expect(parseShellExit(Buffer.from('{"exitCode":3}'))).toEqual({ exitCode: 3 });
    expect(parseShellExit(Buffer.from('{"exitCode":1,"message":"gone"}'))).toEqual({
      exitCode: 1,
      message: 'gone',
    });
    expect(parseShellExit(Buffer.from('{"exitCode":"3"}'))).toBeUndefined();
    expect(parseShellExit(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('exitFromStatus', () => {
  it('Success is 0', () => {
    expect(exitFromStatus({ metadata: {}, status: 'Success' })).toEqual({ exitCode: 0 });
  });

  it("takes the code of the kubelet's NonZeroExitCode", () => {
    expect(
      exitFromStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: exit code 42',
        details: { causes: [{ reason: 'ExitCode', message: '42' }] },
      }),
    ).toEqual({ exitCode: 42 });
  });

  it('takes the code of an exit reported as an error ending in "exit status N" (KWOK)', () => {
    expect(
      exitFromStatus({
        status: 'Failure',
        reason: 'InternalError',
        message:
          'Internal error occurred: error executing command in container: cmd wait: exit status 3',
      }),
    ).toEqual({ exitCode: 3 });
  });

  it('any other failure is 1 with its message, as kubectl exec', () => {
    const message = 'Internal error occurred: exec: "nope": executable file not found in $PATH';
    expect(exitFromStatus({ status: 'Failure', reason: 'InternalError', message })).toEqual({
      exitCode: 1,
      message,
    });
    expect(exitFromStatus({ status: 'Failure', message: 'exit status 300' })).toEqual({
      exitCode: 1,
      message: 'exit status 300',
    });
    expect(exitFromStatus('garbage')).toEqual({
      exitCode: 1,
      message: 'the command failed without a reason',
    });
  });
});
