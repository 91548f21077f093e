// The operator's ClusterRole rules: every verb on every resource the controllers use, nothing more,
// no wildcards. The RBAC generator (operator/tools/generate-rbac.ts) writes them into the chart,
// the integration tests' fixture and the example for a run by hand.

/** The verbs the operator may be granted: no `*`, no `deletecollection`, no `escalate`. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** A rule of the ClusterRole, as in ClusterRole.rules, with why the operator needs it. */
export interface OperatorRule {
  /** Lines of the comment above the rule; left out where the comment above covers it too. */
  readonly comment?: readonly string[];
  /** `''` is the core group. */
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly Verb[];
}

const leaseChildVerbs: readonly Verb[] = ['list', 'watch', 'create', 'patch', 'delete'];

export const operatorRules: readonly OperatorRule[] = [
  {
    comment: [
      'The custom resources: read (informers), status written through the status subresource by',
      "server-side apply (PATCH). Leases' finalizers: owner references with blockOwnerDeletion on",
      "the lease's children need it where OwnerReferencesPermissionEnforcement is enabled.",
    ],
    apiGroups: ['supercloud.dev'],
    resources: ['computeleases', 'gpunodepools', 'providers'],
    verbs: ['list', 'watch'],
  },
  {
    apiGroups: ['supercloud.dev'],
    resources: ['computeleases/status', 'gpunodepools/status', 'providers/status'],
    verbs: ['patch'],
  },
  {
    comment: [
      'The lease sync makes a ComputeLease of each lease won on chain (server-side apply), sets it',
      'closing when the lease closes, and makes it anew when a reorg takes the close back.',
    ],
    apiGroups: ['supercloud.dev'],
    resources: ['computeleases'],
    verbs: ['create', 'patch', 'delete'],
  },
  {
    apiGroups: ['supercloud.dev'],
    resources: ['computeleases/finalizers'],
    verbs: ['update'],
  },
  {
    comment: ['Pool accounting and the room left on a pool.'],
    apiGroups: [''],
    resources: ['nodes', 'pods'],
    verbs: ['list', 'watch'],
  },
  {
    comment: ["The GPU Operator's configuration, read for each GPU pool's GpuIsolation condition."],
    apiGroups: ['nvidia.com'],
    resources: ['clusterpolicies'],
    verbs: ['list'],
  },
  {
    comment: [
      'What a lease becomes: applied by server-side apply (a PATCH that creates needs create too),',
      'deleted when the lease closes, is rejected, or no longer declares them. RBAC cannot limit',
      'these to lease namespaces; admission-policy.yaml does (admissionPolicy.enabled).',
    ],
    apiGroups: [''],
    resources: ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts', 'services'],
    verbs: leaseChildVerbs,
  },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: leaseChildVerbs },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies', 'ingresses'],
    verbs: leaseChildVerbs,
  },
  {
    comment: ['Events on leases and pools (a repeated Event is patched with its series count).'],
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create', 'patch'],
  },
];
