// make cluster-up / make cluster-down: `tsx test/stack/cli.ts up [--nodes h100=4,a100=4,cpu=2] | down | status`
import { readStackDescription } from './description.js';
import { defaultNodeGroups, parseNodeGroups } from './nodes.js';
import { stackFile } from './paths.js';
import { isStackHealthy, stackDown, stackUp } from './stack.js';

const log = (message: string): void => console.log(`[stack] ${message}`);

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const groups = parseNodeGroups(
        option('nodes') ?? process.env.SUPERCLOUD_NODES ?? defaultNodeGroups,
      );
      const stack = await stackUp(groups, log);
      log(`API server ${stack.apiServer}, kubeconfig ${stack.kubeconfig}`);
      log(`chain ${stack.chainId} at ${stack.rpcUrl}; stack description ${stackFile}`);
      log(`try: kubectl --kubeconfig ${stack.kubeconfig} get nodes -L nvidia.com/gpu.product`);
      return;
    }
    case 'down':
      return stackDown(log);
    case 'status': {
      const stack = readStackDescription();
      if (!stack) return log('no local stack (make cluster-up starts one)');
      log(
        `${(await isStackHealthy(stack)) ? 'up' : 'NOT answering'}: ${stack.apiServer}, ${stack.rpcUrl}`,
      );
      return;
    }
    default:
      throw new Error(
        `usage: cli.ts up [--nodes pool=count,...] | down | status (got "${command ?? ''}")`,
      );
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
