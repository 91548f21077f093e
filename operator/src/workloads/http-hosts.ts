// The host names of exposed HTTP ports (`http: true`): `<lease namespace>-<service>` for a
// service's first HTTP port and `<lease namespace>-<service>-<port>` for each further one, under
// the provider's ingress domain. A port added later never moves the hosts tenants already use.
import { keccak256, toUtf8Bytes } from 'ethers';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { leaseNamespaceName } from './names.js';

/** An exposed HTTP port of a manifest and the part of its host name that follows the lease's. */
export interface HttpPort {
  readonly service: string;
  readonly port: number;
  /** `<service>` for the service's first HTTP port, `<service>-<port>` for the others. */
  readonly name: string;
}

/**
 * The HTTP ports of a manifest, in manifest order.
 *
 * @example httpPorts(manifest) // [{ service: 'api', port: 8000, name: 'api' }, { service: 'api', port: 9090, name: 'api-9090' }]
 */
export function httpPorts(manifest: WorkloadManifest): HttpPort[] {
  return manifest.services.flatMap((service) =>
    service.ports
      .filter((port) => port.http === true)
      .map((port, index) => ({
        service: service.name,
        port: port.port,
        name: index === 0 ? service.name : `${service.name}-${port.port}`,
      })),
  );
}

/** The longest DNS label. */
const maxLabelLength = 63;
/** Hex digits of the hash that completes a label cut to fit. */
const hashDigits = 8;

/**
 * The first label of an HTTP port's host: `lease-<id>-<name>`. One longer than DNS allows (a
 * lease id of many digits with a long service name) is cut and completed with a hash of the whole,
 * so it stays unique.
 *
 * @example httpHostLabel('42', { service: 'api', port: 8000, name: 'api' }) // 'lease-42-api'
 */
export function httpHostLabel(leaseId: string, port: HttpPort): string {
  const label = `${leaseNamespaceName(leaseId)}-${port.name}`;
  if (label.length <= maxLabelLength) return label;
  const hash = keccak256(toUtf8Bytes(label)).slice(2, 2 + hashDigits);
  const kept = label.slice(0, maxLabelLength - hashDigits - 1).replace(/-+$/, '');
  return `${kept}-${hash}`;
}
