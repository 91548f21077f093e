// The bad-lease corpus against the real API server and the operator: each lease is refused by
// the CRD schema, or accepted and then Rejected by the operator with a reason naming the field,
// a Warning Event and a log line; nothing is created for it; a good lease keeps running.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { apiGroup, apiVersionName } from '../../../operator/src/api/constants.js';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import {
  EventKind,
  NamespaceKind,
  PodKind,
  type KubeClient,
} from '../../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../../operator/src/market/concurrency.js';
import {
  badLeaseCorpus,
  validLease,
  type BadLeaseCase,
} from '../../../operator/src/workloads/testing/corpus.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { adminKubeConfig, waitFor } from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';
import { join } from 'node:path';
import {
  adminClient,
  deleteLeases,
  installCrdsAndRbac,
  kubectl,
  phaseIs,
  runId,
  slow,
  uniqueLeaseId,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  testRunLabel,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const goodName = `corpus-good-${run}`;

/**
 * In the cluster a lease is verified against the pool it names, so a lease naming another pool
 * than it was bought for is refused for what that pool does not have.
 */
const fieldInCluster: Record<string, string> = {
  'pool other than the one verified against': 'spec.resources.gpuModel',
};

/** What happened to one bad lease. */
type Outcome =
  | { readonly by: 'schema'; readonly code: number; readonly message: string }
  | { readonly by: 'operator'; readonly lease: ComputeLease };

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  try {
    return (JSON.parse(String(body)) as { message?: string }).message ?? String(body);
  } catch {
    return String(body ?? error);
  }
}

function named(badCase: BadLeaseCase): ComputeLease {
  const name = `${run}-${badCase.lease.metadata.name}`.slice(0, 63).replace(/-+$/, '');
  return {
    ...badCase.lease,
    metadata: { name, labels: { [testRunLabel]: run } },
  };
}

describe('the bad-lease corpus, applied to the cluster', () => {
  let client: KubeClient;
  let api: CustomObjectsApi;
  let operator: OperatorProcess;
  let goodPodUid: string | undefined;
  const outcomes = new Map<string, Outcome>();

  beforeAll(async () => {
    client = adminClient();
    api = adminKubeConfig().makeApiClient(CustomObjectsApi);
    installCrdsAndRbac();
    kubectl([
      'apply',
      '--server-side',
      '-f',
      join(repoRoot, 'examples/gpunodepool-h100.yaml'),
      '-f',
      join(repoRoot, 'examples/gpunodepool-a100.yaml'),
    ]);
    operator = startOperator({ run });
    await operator.ready();
    const good = validLease(goodName, 0);
    await client.create(ComputeLeaseKind, {
      ...good,
      metadata: { name: goodName, labels: { [testRunLabel]: run } },
      spec: { ...good.spec, leaseId: uniqueLeaseId() },
    });
    const running = await waitForLease(client, goodName, 'Running', phaseIs('Running'));
    const pods = await client.list(PodKind, { namespace: running.status?.namespace });
    goodPodUid = pods.items[0]?.metadata?.uid;
  }, slow);

  afterAll(async () => {
    await deleteLeases(client, [goodName, ...badLeaseCorpus.map((c) => named(c).metadata.name!)]);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'refuses each bad lease by schema, or rejects it naming the field, creating nothing',
    async () => {
      expect(badLeaseCorpus.length).toBeGreaterThanOrEqual(40);
      const accepted: string[] = [];
      await mapWithConcurrency(badLeaseCorpus, 8, async (badCase) => {
        const lease = named(badCase);
        try {
          await api.createClusterCustomObject({
            group: apiGroup,
            version: apiVersionName,
            plural: 'computeleases',
            body: lease,
            fieldValidation: 'Strict',
          });
          accepted.push(lease.metadata.name!);
        } catch (error) {
          const code = (error as { code?: number }).code ?? 0;
          outcomes.set(badCase.name, { by: 'schema', code, message: apiMessage(error) });
        }
      });
      await mapWithConcurrency(badLeaseCorpus, 8, async (badCase) => {
        const name = named(badCase).metadata.name!;
        if (!accepted.includes(name)) return;
        const lease = await waitForLease(client, name, 'Rejected', phaseIs('Rejected'), 60_000);
        outcomes.set(badCase.name, { by: 'operator', lease });
      });

      const problems: string[] = [];
      for (const badCase of badLeaseCorpus) {
        const outcome = outcomes.get(badCase.name)!;
        const field = fieldInCluster[badCase.name] ?? badCase.field;
        if (outcome.by === 'schema') {
          const listItem = field.replace(/\.[A-Za-z]+$/, '');
          const namesField =
            outcome.message.includes(field) ||
            outcome.message.includes(`${listItem}: Duplicate value`);
          if (
            badCase.tooLargeForApiServer
              ? outcome.code !== 413
              : ![400, 422].includes(outcome.code) || !namesField
          ) {
            problems.push(
              `${badCase.name}: refused with ${outcome.code} "${outcome.message.slice(0, 200)}"`,
            );
          }
          continue;
        }
        const { lease } = outcome;
        const verified = lease.status?.conditions?.find((c) => c.type === 'Verified');
        if (!lease.status?.message?.includes(field) || verified?.status !== 'False') {
          problems.push(
            `${badCase.name}: ${JSON.stringify(lease.status?.message)} does not name ${field}`,
          );
        }
        if (await client.get(NamespaceKind, leaseNamespaceName(lease.spec.leaseId))) {
          problems.push(`${badCase.name}: its namespace exists`);
        }
      }
      expect(problems).toEqual([]);
      const byOperator = [...outcomes.values()].filter((o) => o.by === 'operator').length;
      console.log(
        `[figure] bad-lease corpus: ${badLeaseCorpus.length} cases, ${badLeaseCorpus.length - byOperator} refused by the CRD schema, ${byOperator} rejected by the operator`,
      );
      expect(byOperator).toBeGreaterThan(0);
    },
    slow,
  );

  it(
    'records a Warning Event and a log line for each rejection',
    async () => {
      const rejected = [...outcomes.values()].flatMap((o) =>
        o.by === 'operator' ? [o.lease] : [],
      );
      await waitFor(
        'a Rejected Event for each rejected lease',
        async () => {
          const events = await client.list(EventKind, {
            namespace: 'default',
            fieldSelector: 'regarding.kind=ComputeLease',
          });
          const regarding = new Set(
            events.items.filter((e) => e.reason === 'Rejected').map((e) => e.regarding?.name),
          );
          return rejected.every((lease) => regarding.has(lease.metadata.name));
        },
        30_000,
      );
      for (const lease of rejected) {
        expect(
          operator.lines.some(
            (line) =>
              line.key === lease.metadata.name &&
              line.phase === 'Rejected' &&
              line.level === 'warn',
          ),
        ).toBe(true);
      }
    },
    slow,
  );

  it(
    'keeps the good lease running untouched',
    async () => {
      const good = await waitForLease(client, goodName, 'Running', phaseIs('Running'));
      const pods = await client.list(PodKind, { namespace: good.status?.namespace });
      expect(pods.items.map((pod) => pod.metadata?.uid)).toEqual([goodPodUid]);
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );
});
