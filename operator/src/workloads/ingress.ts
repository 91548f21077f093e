// The Ingress of a lease: one host per exposed HTTP port under the provider's ingress domain,
// through the provider's ingress class, always listed under TLS (with a cert-manager certificate
// per host when the provider names a ClusterIssuer, else the ingress controller's default one).
import type { V1Ingress } from '@kubernetes/client-node';
import type { ComputeLease } from '../api/computelease.js';
import type { WorkloadManifest, WorkloadService } from '../api/workload-manifest.js';
import type { Wire } from '../kube/objects.js';
import { httpHostLabel, httpPorts } from './http-hosts.js';
import { childMetadata } from './objects.js';

/** How the provider publishes HTTP ports (the operator's `--ingress-*` flags). */
export interface IngressSettings {
  /** Hosts are `<label>.<domain>`; a wildcard DNS record sends them to the ingress controller. */
  readonly domain: string;
  /** The IngressClass; absent: the cluster's default class. */
  readonly className?: string;
  /** cert-manager ClusterIssuer of each host's certificate; absent: the controller's default certificate. */
  readonly clusterIssuer?: string;
}

/** Name of the Ingress in a lease namespace. */
export const leaseIngressName = 'http';

/** The annotation cert-manager's ingress-shim reads to issue a certificate per TLS entry. */
export const clusterIssuerAnnotation = 'cert-manager.io/cluster-issuer';

/**
 * True when the port is published through the Ingress: an HTTP port, and the provider has an
 * ingress domain (without one, HTTP ports are plain exposed TCP ports).
 */
export function viaIngress(
  port: WorkloadService['ports'][number],
  settings: IngressSettings | undefined,
): boolean {
  return settings !== undefined && port.http === true;
}

/**
 * The Ingress of a lease, or undefined when the provider has no ingress domain or the manifest no
 * HTTP port.
 *
 * @example leaseIngress(lease, manifest, { domain: 'gpu.example.com', className: 'nginx' })
 */
export function leaseIngress(
  lease: ComputeLease,
  manifest: WorkloadManifest,
  settings: IngressSettings | undefined,
): Wire<V1Ingress> | undefined {
  const ports = httpPorts(manifest);
  if (!settings || ports.length === 0) return undefined;
  const { domain, className, clusterIssuer } = settings;
  const routes = ports.map((port) => ({ port, label: httpHostLabel(lease.spec.leaseId, port) }));
  const metadata = childMetadata(lease, leaseIngressName);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: clusterIssuer
      ? { ...metadata, annotations: { [clusterIssuerAnnotation]: clusterIssuer } }
      : metadata,
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      // One entry per host: cert-manager issues one certificate per secret.
      tls: routes.map(({ label }) => ({
        hosts: [`${label}.${domain}`],
        ...(clusterIssuer ? { secretName: `${label}-tls` } : {}),
      })),
      rules: routes.map(({ port, label }) => ({
        host: `${label}.${domain}`,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: port.service, port: { number: port.port } } },
            },
          ],
        },
      })),
    },
  };
}
