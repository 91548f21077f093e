// make bench BENCH=deploy: `supercloud deploy` to Running, as a tenant waits for it. The compiled
// CLI (dist/, as installed) deploys a one-GPU workload needing one secret on the local stack, one
// deploy after the other (SUPERCLOUD_DEPLOY_RUNS, default 3), with --accept-first and a 30 s
// bidding window: order mined → first bid seen → lease started → secret delivered → Running
// through the gateway. The CLI asks the chain and the gateway once a second, so each step is
// seen up to a second late; the wall time is what the tenant waits, process start included.
import { gpuManifest, runId } from '../harness/cluster-fixtures.js';
import { startDeployWorld } from '../harness/deploy-world.js';
import { buildDist } from '../harness/entry.js';
import { cliJson } from '../harness/tenant-cli.js';
import { percentile, seconds, type Figure, type Section } from './report.js';

/** The CLI's progress lines that mark a step, and the step's name. */
const steps: readonly (readonly [RegExp, string])[] = [
  [/^order \d+ is open for bids/, 'order mined'],
  [/^bid: /, 'first bid seen'],
  [/^lease \d+ started/, 'lease started (bid accepted)'],
  [/^secrets delivered/, 'secret delivered'],
  [/^workload Running/, 'Running'],
];

function envCount(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export async function deployFigures(): Promise<Section> {
  const runs = envCount('SUPERCLOUD_DEPLOY_RUNS', 3);
  buildDist();
  const world = await startDeployWorld({
    run: runId(),
    prefix: 'db',
    workload: gpuManifest(1, 1, { env: [{ name: 'HF_TOKEN', secret: 'hf-token' }] }),
    nodes: runs,
    entry: 'dist',
  });
  const wall: number[] = [];
  const stepTimes = new Map<string, number[]>(steps.map(([, name]) => [name, []]));
  try {
    for (let i = 0; i < runs; i += 1) {
      const start = Date.now();
      const seen = new Set<string>();
      const result = await world.supercloud(
        [
          'deploy',
          '-f',
          'workload.yaml',
          '--gpu-model',
          world.pool.model,
          '--max-price',
          '1000000',
          '--deposit',
          '1h',
          '--bidding-seconds',
          '30',
          '--accept-first',
          '--secret',
          'hf-token',
          '--json',
        ],
        {
          env: { HF_TOKEN: `bench-${i}` },
          onStderrLine: (line) => {
            const step = steps.find(([pattern]) => pattern.test(line))?.[1];
            if (step && !seen.has(step)) {
              seen.add(step);
              stepTimes.get(step)?.push(Date.now() - start);
            }
          },
        },
      );
      cliJson(result);
      wall.push(Date.now() - start);
    }
  } finally {
    await world.stop();
  }
  const summary = (values: readonly number[]): string =>
    `${seconds(percentile(values, 50))} / ${seconds(Math.max(...values))}`;
  const figures: Figure[] = [
    { name: '`supercloud deploy` → Running, median / max', value: summary(wall) },
    ...steps.map(([, name]) => ({
      name: `… ${name} after, median / max`,
      value: summary(stepTimes.get(name) ?? []),
    })),
  ];
  return {
    title: '`supercloud deploy` to Running',
    method: `${runs} deploys one after the other by the compiled CLI on the local stack (chain operator, gateway, 1-GPU workload with one secret, --accept-first, 30 s bidding window); each step as the CLI's progress shows it (it polls once a second).`,
    figures,
  };
}
