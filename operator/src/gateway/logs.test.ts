import type { ComputeLease } from '../api/computelease.js';
import { validLease } from '../workloads/testing/corpus.js';
import { GatewayError } from './errors.js';
import { parseLogQuery } from './logs.js';

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

const query = (text: string, l = lease()) => parseLogQuery(new URLSearchParams(text), l);

function refused(text: string, l = lease()): string {
  try {
    query(text, l);
  } catch (error) {
    if (error instanceof GatewayError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseLogQuery', () => {
  it('defaults to the only service, its first replica, the whole log', () => {
    expect(query('')).toEqual({ service: 'app', replica: 0, follow: false, previous: false });
  });

  it('reads tail, since (30, 30s, 5m, 2h), replica, follow and previous', () => {
    expect(query('tail=20&since=5m&replica=1&follow=true')).toEqual({
      service: 'app',
      replica: 1,
      tail: 20,
      sinceSeconds: 300,
      follow: true,
      previous: false,
    });
    expect(query('since=2h').sinceSeconds).toBe(7200);
    expect(query('previous').previous).toBe(true);
  });

  it('refuses what names nothing the lease runs, or cannot be served', () => {
    expect(refused('', lease(['api', 'worker']))).toMatch('ServiceRequired');
    expect(refused('service=db')).toMatch('NoSuchService');
    expect(refused('replica=2')).toMatch('replica must be a whole number up to 1');
    expect(refused('tail=-1')).toMatch('tail');
    expect(refused('tail=100000')).toMatch('tail');
    expect(refused('since=yesterday')).toMatch('since');
    expect(refused('follow=maybe')).toMatch('follow must be true or false');
    expect(refused('follow=true&previous=true')).toMatch('cannot be followed');
  });
});
