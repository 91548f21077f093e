// make bench: runs every benchmark section in turn, prints the report as markdown and writes it
// to .stack/bench/report.json. Figures are compared with their targets by a reader, never
// asserted: these machines are shared and noisy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackDir } from '../stack/paths.js';
import { chainScaleFigures } from './chain-scale.js';
import { deployFigures } from './deploy.js';
import { faultFigures } from './faults.js';
import { followerCatchUp } from './follower.js';
import { gasTable } from './gas.js';
import { gatewayFigures } from './gateway.js';
import { leaseLatency } from './leases.js';
import { marketFigures } from './market.js';
import { scaleFigures } from './scale.js';
import { formatSection, type Benchmark, type Section } from './report.js';
import { stackBoot } from './stack-boot.js';

const benchmarks: Record<string, Benchmark> = {
  deploy: deployFigures,
  'chain-scale': chainScaleFigures,
  faults: faultFigures,
  follower: followerCatchUp,
  gas: gasTable,
  gateway: gatewayFigures,
  leases: leaseLatency,
  market: marketFigures,
  scale: scaleFigures,
  'stack-boot': stackBoot,
};

async function main(only: readonly string[]): Promise<void> {
  const selected = only.length > 0 ? only : Object.keys(benchmarks);
  const sections: Section[] = [];
  for (const name of selected) {
    const benchmark = benchmarks[name];
    if (!benchmark) {
      throw new Error(`no benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    }
    console.error(`[bench] ${name}…`);
    const section = await benchmark();
    sections.push(section);
    console.log(formatSection(section));
  }
  const reportDir = join(stackDir, 'bench');
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'report.json'), JSON.stringify(sections, null, 2));
  console.error(`[bench] report written to ${join(reportDir, 'report.json')}`);
  const failed = sections.filter((section) => (section.failures ?? []).length > 0);
  for (const section of failed) {
    console.error(`[bench] ${section.title}: FAILED\n  ${section.failures!.join('\n  ')}`);
  }
  if (failed.length > 0) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
