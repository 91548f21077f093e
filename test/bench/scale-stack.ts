// The scale bench on a stack of its own: started by scaleFigures (test/bench/scale.ts) with
// SUPERCLOUD_STACK_DIR and every SUPERCLOUD_*_PORT pointing at a fresh directory and free ports.
// Brings that stack up (no nodes of its own: the bench makes its pools), runs the measurement,
// writes the section as JSON to $SUPERCLOUD_SCALE_RESULT and the run's logs (the operators', the
// control plane's) to logs/ beside it, and takes the stack down.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kwokClusterDir } from '../stack/kwok.js';
import { stackDir } from '../stack/paths.js';
import { stackDown, stackUp } from '../stack/stack.js';
import { measureScale, scaleOptionsFromEnv, scaleResultVariable } from './scale.js';

const log = (message: string): void => console.error(`[scale] ${message}`);

async function main(): Promise<void> {
  const resultFile = process.env[scaleResultVariable];
  if (!resultFile || !process.env.SUPERCLOUD_STACK_DIR) {
    throw new Error(
      `run through make bench BENCH=scale (it sets SUPERCLOUD_STACK_DIR and ${scaleResultVariable})`,
    );
  }
  const logDir = join(dirname(resultFile), 'logs');
  const options = { ...scaleOptionsFromEnv(), logDir };
  log(`a stack of its own in ${stackDir}`);
  await stackUp([], (message) => log(`[stack] ${message}`));
  try {
    const { section } = await measureScale(options);
    writeFileSync(resultFile, JSON.stringify(section));
  } finally {
    const controlPlaneLogs = join(kwokClusterDir, 'logs');
    if (existsSync(controlPlaneLogs)) {
      cpSync(controlPlaneLogs, join(logDir, 'control-plane'), { recursive: true });
    }
    await stackDown((message) => log(`[stack] ${message}`));
  }
}

main().catch((error: unknown) => {
  console.error(
    `[scale] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
