// One Service per manifest service that has ports: siblings in the lease reach it by name, and
// its exposed ports are what the ingress NetworkPolicy opens and the lease status lists.
import type { V1Service } from '@kubernetes/client-node';
import type { ComputeLease } from '../api/computelease.js';
import { labels } from '../api/constants.js';
import type { WorkloadService } from '../api/workload-manifest.js';
import type { Wire } from '../kube/objects.js';
import { viaIngress, type IngressSettings } from './ingress.js';
import { childMetadata } from './objects.js';

/**
 * True when the service's Service takes the lease's service type: it has an exposed port that the
 * Ingress does not carry. A service whose exposed ports all go through the Ingress needs no load
 * balancer or node port.
 */
export function publishedByService(
  service: WorkloadService,
  ingress: IngressSettings | undefined,
): boolean {
  return service.ports.some((port) => port.expose && !viaIngress(port, ingress));
}

/** The Service of a manifest service, or undefined when it has no ports. */
export function serviceService(
  lease: ComputeLease,
  service: WorkloadService,
  ingress: IngressSettings | undefined,
): Wire<V1Service> | undefined {
  if (service.ports.length === 0) return undefined;
  const serviceLabel = { [labels.service]: service.name };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(lease, service.name, serviceLabel),
    spec: {
      type: publishedByService(service, ingress) ? lease.spec.ingress.serviceType : 'ClusterIP',
      selector: serviceLabel,
      ports: service.ports.map((port) => ({
        name: port.name ?? `${port.protocol.toLowerCase()}-${port.port}`,
        port: port.port,
        targetPort: port.port,
        protocol: port.protocol,
      })),
    },
  };
}
