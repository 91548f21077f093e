/** API group of every supercloud custom resource. */
export const apiGroup = 'supercloud.dev';

/** The one served and stored version of the custom resources. */
export const apiVersionName = 'v1alpha1';

/** `apiVersion` of supercloud objects. */
export const apiVersion = `${apiGroup}/${apiVersionName}` as const;

/** `kubectl get supercloud` lists every kind in this category. */
export const apiCategory = 'supercloud';

/** Field manager of every object the operator applies (server-side apply). */
export const fieldManager = 'supercloud-operator';

/** Label keys the operator puts on what it creates; also used to select them. */
export const labels = {
  /** The lease id (or its hashed form when too long for a label value). */
  lease: `${apiGroup}/lease`,
  /** The tenant's address, lower case. */
  tenant: `${apiGroup}/tenant`,
  /** The GpuNodePool the lease runs on (nodes of the local stack carry the same key). */
  pool: `${apiGroup}/pool`,
  /** The manifest service a Deployment, Service or pod belongs to. */
  service: `${apiGroup}/service`,
  managedBy: 'app.kubernetes.io/managed-by',
  podSecurityEnforce: 'pod-security.kubernetes.io/enforce',
} as const;

/** Annotation keys the operator sets. */
export const annotations = {
  /** The full lease id on the lease namespace (label values stop at 63 characters). */
  leaseId: `${apiGroup}/lease-id`,
  /**
   * On the lease namespace, set by the gateway: the names of the tenant's secrets delivered into
   * the tenant-secrets Secret (comma-separated), so the operator knows what a workload still
   * waits for without reading any Secret.
   */
  tenantSecrets: `${apiGroup}/tenant-secrets`,
  /** On the lease namespace, set by the gateway: "true" once registry credentials are delivered. */
  tenantRegistry: `${apiGroup}/tenant-registry`,
  /**
   * On the lease namespace, set by the gateway: the nonces of the signed requests with effects
   * (secret deliveries, shells) used on any replica, as `<digest>:<expiry unix s>` entries
   * (comma-separated) kept until the signature expires, so no replica accepts a replay
   * (gateway/lease-nonces.ts).
   */
  gatewayNonces: `${apiGroup}/gateway-nonces`,
} as const;

/** Value of `app.kubernetes.io/managed-by` on every object the operator creates. */
export const managedByValue = fieldManager;
