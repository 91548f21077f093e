// The chart's ValidatingAdmissionPolicies seen from the operator's and the gateway's side:
// requests made as the release's ServiceAccounts (kubectl impersonation, as the operator's local
// process does), and a wait until the API server enforces a freshly installed policy (it loads
// policies from an informer, so a new one takes a moment to apply).
import { waitFor } from '../../harness/stack.js';
import { runTool, type CommandResult } from './helm.js';

/** The release's operator identity: its ServiceAccount's user name and groups. */
export interface OperatorIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

/** The identity of the chart's ServiceAccount (the default name: the release's full name). */
export function releaseOperator(release: string, namespace: string): OperatorIdentity {
  return {
    user: `system:serviceaccount:${namespace}:${release}-supercloud-provider`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}

/** Name of the release's ValidatingAdmissionPolicy (and of its binding). */
export function admissionPolicyName(release: string): string {
  return `${release}-supercloud-provider-lease-namespaces`;
}

/** The identity of the release's gateway: its own ServiceAccount, `<full name>-gateway`. */
export function releaseGateway(release: string, namespace: string): OperatorIdentity {
  return {
    user: `system:serviceaccount:${namespace}:${release}-supercloud-provider-gateway`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}

/** Name of the gateway's ValidatingAdmissionPolicy (and of its binding). */
export function gatewayAdmissionPolicyName(release: string): string {
  return `${release}-supercloud-provider-gateway-writes`;
}

/** kubectl acting as the operator (never throws: look at `status` and `stderr`). */
export function asOperator(
  identity: OperatorIdentity,
  args: readonly string[],
  input?: string,
): CommandResult {
  return runTool(
    'kubectl',
    [...args, '--as', identity.user, ...identity.groups.flatMap((group) => ['--as-group', group])],
    input,
  );
}

/**
 * Waits until the API server enforces the release's policy: a namespace that is not a lease
 * namespace, created as the operator in a server-side dry run (nothing is kept either way), is
 * refused by the policy.
 */
export async function waitForAdmissionPolicy(
  identity: OperatorIdentity,
  release: string,
  probeNamespace: string,
): Promise<void> {
  let last: CommandResult | undefined;
  try {
    await waitFor(
      `the API server to enforce ValidatingAdmissionPolicy ${admissionPolicyName(release)}`,
      async () => {
        last = asOperator(identity, ['create', 'namespace', probeNamespace, '--dry-run=server']);
        return (
          last.status !== 0 &&
          last.stderr.includes(`ValidatingAdmissionPolicy '${admissionPolicyName(release)}'`)
        );
      },
      60_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${JSON.stringify(last)}`);
  }
}

/**
 * Waits until the API server enforces the gateway's policy: a tenant Secret in `default`, created
 * as the gateway in a server-side dry run (RBAC grants it; nothing is kept), is refused by it.
 */
export async function waitForGatewayAdmissionPolicy(
  identity: OperatorIdentity,
  release: string,
): Promise<void> {
  const policy = gatewayAdmissionPolicyName(release);
  let last: CommandResult | undefined;
  try {
    await waitFor(
      `the API server to enforce ValidatingAdmissionPolicy ${policy}`,
      async () => {
        last = asOperator(identity, [
          'create',
          'secret',
          'generic',
          'tenant-secrets',
          '--namespace=default',
          '--from-literal=probe=1',
          '--dry-run=server',
        ]);
        return last.status !== 0 && last.stderr.includes(`ValidatingAdmissionPolicy '${policy}'`);
      },
      60_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${JSON.stringify(last)}`);
  }
}
