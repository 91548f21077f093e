import { OptionsError, parseRunFlags, runDefaults } from './options.js';

describe('parseRunFlags', () => {
  it('fills in the defaults', () => {
    expect(parseRunFlags({ kubeconfig: '/k' })).toMatchObject({
      kubeConfig: { kubeconfig: '/k' },
      leaderElection: false,
      healthAddress: runDefaults.healthAddress,
      logLevel: 'info',
      ingressNamespace: 'supercloud-system',
      leaseWorkers: 32,
      gracefulShutdownMs: 30_000,
      chainPollMs: 2_000,
    });
  });

  it('takes a chain poll interval from 1 ms to 10 min', () => {
    expect(parseRunFlags({ kubeconfig: '/k', chainPollMs: '600000' }).chainPollMs).toBe(600_000);
    expect(() => parseRunFlags({ kubeconfig: '/k', chainPollMs: '600001' })).toThrow(
      /chain-poll-ms/,
    );
    expect(() => parseRunFlags({ kubeconfig: '/k', chainPollMs: '0' })).toThrow(/chain-poll-ms/);
  });

  it('publishes HTTP ports only with an ingress domain, with the class and issuer given', () => {
    expect(parseRunFlags({ kubeconfig: '/k' }).ingress).toBeUndefined();
    expect(parseRunFlags({ kubeconfig: '/k', ingressDomain: 'gpu.example.com' }).ingress).toEqual({
      domain: 'gpu.example.com',
    });
    expect(
      parseRunFlags({
        kubeconfig: '/k',
        ingressDomain: 'gpu.example.com',
        ingressClass: 'nginx',
        ingressClusterIssuer: 'letsencrypt-dns',
      }).ingress,
    ).toEqual({ domain: 'gpu.example.com', className: 'nginx', clusterIssuer: 'letsencrypt-dns' });
  });

  it('uses the pod service account without a kubeconfig in a pod, else what kubectl uses', () => {
    expect(parseRunFlags({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).kubeConfig).toEqual({
      inCluster: true,
    });
    expect(parseRunFlags({}, {}).kubeConfig).toEqual({});
    expect(parseRunFlags({ context: 'dev' }, {}).kubeConfig).toEqual({ context: 'dev' });
  });

  it('impersonates with groups, and elects a leader in the given namespace', () => {
    const options = parseRunFlags({
      as: 'system:serviceaccount:supercloud-system:supercloud-operator',
      asGroup: ['system:serviceaccounts'],
      leaderElect: true,
      leaderElectionNamespace: 'ops',
      leaderElectionId: 'op-1',
      leaseSelector: 'shard=a',
    });
    expect(options.impersonate).toEqual({
      user: 'system:serviceaccount:supercloud-system:supercloud-operator',
      groups: ['system:serviceaccounts'],
    });
    expect(options.leaderElection).toEqual({ name: 'op-1', namespace: 'ops' });
    expect(options.leaseSelector?.matches({ shard: 'a' })).toBe(true);
  });

  it.each([
    [{ asGroup: ['g'] }, {}, '--as-group: needs --as'],
    [
      { context: 'dev' },
      { KUBERNETES_SERVICE_HOST: 'h' },
      '--context: only applies with --kubeconfig',
    ],
    [
      { healthAddress: 'localhost' },
      {},
      '--health-address: listen address "localhost" is not host:port',
    ],
    [{ logLevel: 'loud' }, {}, '--log-level: log level "loud" is not one of'],
    [
      { ingressNamespace: 'Ingress_NS' },
      {},
      '--ingress-namespace: "Ingress_NS" is not a namespace name',
    ],
    [
      { leaderElect: true, leaderElectionNamespace: 'a'.repeat(64) },
      {},
      '--leader-election-namespace:',
    ],
    [{ ingressDomain: 'GPU.example.com' }, {}, '--ingress-domain: "GPU.example.com" is not'],
    [
      { ingressDomain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.com` },
      {},
      '--ingress-domain:',
    ],
    [{ ingressDomain: '*.example.com' }, {}, '--ingress-domain:'],
    [{ ingressClass: 'nginx' }, {}, '--ingress-class: needs --ingress-domain'],
    [{ ingressClusterIssuer: 'le' }, {}, '--ingress-cluster-issuer: needs --ingress-domain'],
    [{ ingressDomain: 'example.com', ingressClass: 'Nginx' }, {}, '--ingress-class:'],
    [{ leaseSelector: 'a b' }, {}, '--lease-selector: label selector "a b"'],
    [{ leaseWorkers: '0' }, {}, '--lease-workers: "0" is not a whole number from 1 to 64'],
    [{ leaseWorkers: '2.5' }, {}, '--lease-workers:'],
    [{ gracefulShutdownSeconds: '-1' }, {}, '--graceful-shutdown-seconds:'],
  ])('refuses %j naming the flag', (flags, env, message) => {
    expect(() => parseRunFlags(flags, env)).toThrow(OptionsError);
    expect(() => parseRunFlags(flags, env)).toThrow(message);
  });
});
