// The ClusterRole rules of the operator and of the provider gateway: every verb on every resource
// each uses, nothing more, no wildcards. The RBAC generator (operator/tools/generate-rbac.ts)
// writes them into the chart, the integration tests' fixtures and the example for a run by hand.

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
  {
    comment: [
      "The first status of a lease's quota, as the quota controller would write it (its limits,",
      'nothing used), right after creating it in an empty lease namespace, and the quota read',
      'back when the quota controller wrote first: quota admission binds a quota only once it',
      'has a status (controllers/computelease/quota-fence.ts).',
    ],
    apiGroups: [''],
    resources: ['resourcequotas/status'],
    verbs: ['update'],
  },
  { apiGroups: [''], resources: ['resourcequotas'], verbs: ['get'] },
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

/**
 * The provider gateway's rules: it reads leases, their pods, logs, Deployments and Events, and
 * the pools and nodes a quote decides on, execs tenant shells in their pods, and writes the
 * tenant's Secrets and the namespace annotation listing them. It can read no Secret; the chart's
 * gateway admission policy confines its writes and execs to lease namespaces and its writes to
 * the two tenant Secrets.
 */
export const gatewayRules: readonly OperatorRule[] = [
  {
    comment: [
      'Leases and Providers (informers): the tenant and the chain of each lease. Pools, with the',
      "Providers' bidding policies and live bids: what a quote decides on.",
    ],
    apiGroups: ['supercloud.dev'],
    resources: ['computeleases', 'gpunodepools', 'providers'],
    verbs: ['list', 'watch'],
  },
  {
    comment: ["Quotes: the nodes of each pool (a replica must fit one pool's largest node)."],
    apiGroups: [''],
    resources: ['nodes'],
    verbs: ['list', 'watch'],
  },
  {
    comment: ["A lease's replicas and their logs, its Deployments' readiness, its Events."],
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['list'],
  },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  {
    comment: [
      'Tenant shells (Provider spec.gateway.shell): exec over WebSocket is a GET, authorized as get',
      'up to Kubernetes 1.34 and as create too from 1.35. gateway-admission-policy.yaml confines it',
      'to lease namespaces.',
    ],
    apiGroups: [''],
    resources: ['pods/exec'],
    verbs: ['get', 'create'],
  },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['list', 'watch'] },
  {
    comment: [
      "The tenant's secrets: written, never read (no get or list on secrets); the names delivered",
      'go on the lease namespace. gateway-admission-policy.yaml confines both to lease namespaces.',
    ],
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['create', 'patch'],
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] },
];
