// Which registry an image reference makes the node pull from, and whether a tenant may name it.
// The node's container runtime pulls with the node's network and credentials, outside every
// NetworkPolicy: a reference naming loopback, cloud metadata, a private range or a
// cluster-internal name would make it reach inside the datacenter for the tenant.

/** The registry an unqualified reference (`vllm/vllm-openai`, `busybox`) is pulled from. */
export const defaultRegistry = 'docker.io';

/** Other names of Docker Hub, folded into `defaultRegistry` before an allow-list is matched. */
const dockerHubAliases = new Set(['index.docker.io', 'registry-1.docker.io']);

/**
 * Suffixes that only resolve inside a cluster, a datacenter or a host: Kubernetes service names
 * (`.svc`, `.cluster.local`), mDNS, cloud metadata (`metadata.google.internal`) and the names
 * RFC 6762 appendix G and RFC 8375 leave to private networks.
 */
const internalSuffixes = [
  'localhost',
  'local',
  'localdomain',
  'svc',
  'cluster.local',
  'internal',
  'intranet',
  'private',
  'corp',
  'home',
  'lan',
  'home.arpa',
  'in-addr.arpa',
  'ip6.arpa',
] as const;

/** Public wildcard DNS that answers any name with the address written in it (127.0.0.1.nip.io). */
const addressInNameDomains = [
  'nip.io',
  'sslip.io',
  'xip.io',
  'localtest.me',
  'lvh.me',
  'vcap.me',
  'traefik.me',
] as const;

/** An image reference split the way container runtimes read it (distribution/reference). */
export interface ImageRegistry {
  /** Lower-case registry host, without the port. */
  readonly host: string;
  /** `host[:port]` as written, lower case; `docker.io` for Docker Hub. */
  readonly registry: string;
  /** The repository path inside the registry (`library/busybox` for `busybox`). */
  readonly repository: string;
}

/**
 * Splits a (syntactically valid) image reference into registry and repository. The first path
 * component is a registry when it has a dot or a port or is `localhost`; otherwise the image is
 * on Docker Hub.
 *
 * @example imageRegistry('ghcr.io/org/app:1') // { host: 'ghcr.io', registry: 'ghcr.io', repository: 'org/app' }
 */
export function imageRegistry(reference: string): ImageRegistry {
  const name = reference.split('@')[0]!.replace(/:[^/:]*$/, '');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (first && (/[.:]/.test(first) || first === 'localhost')) {
    const registry = first.toLowerCase();
    const host = registry.replace(/:\d+$/, '');
    return dockerHubAliases.has(host)
      ? { host: defaultRegistry, registry: defaultRegistry, repository: name.slice(slash + 1) }
      : { host, registry, repository: name.slice(slash + 1) };
  }
  return {
    host: defaultRegistry,
    registry: defaultRegistry,
    repository: slash < 0 ? `library/${name}` : name,
  };
}

/**
 * Why the node must not pull `reference`, or undefined when it may.
 *
 * @param allowedRegistries the Provider's allow-list (`tenantIsolation.allowedRegistries`):
 *   entries `host[:port]` or `host[:port]/path-prefix`. When it is not empty, only the images it
 *   names are pulled, internal registries included (the provider names them on purpose); when
 *   empty, any registry on the public internet is.
 * @example imageRegistryRefusal('169.254.169.254/latest:meta', []) // 'names the IP address ...'
 */
export function imageRegistryRefusal(
  reference: string,
  allowedRegistries: readonly string[],
): string | undefined {
  const image = imageRegistry(reference);
  if (allowedRegistries.length > 0) {
    const path = `${image.registry}/${image.repository}`;
    const allowed = allowedRegistries.some((entry) => {
      const prefix = entry.toLowerCase().replace(/\/+$/, '');
      return path === prefix || path.startsWith(`${prefix}/`);
    });
    return allowed
      ? undefined
      : `the registry ${image.registry} (${image.repository}) is not in the provider's allowed registries: ${allowedRegistries.join(', ')}`;
  }
  return internalRegistryReason(image.host);
}

/** Why a registry host is internal to the node, the cluster or the datacenter, if it is. */
function internalRegistryReason(host: string): string | undefined {
  const labels = host.split('.');
  const topLevel = labels[labels.length - 1]!;
  // inet_aton reads 127.1, 0x7f.1 and 2130706433 as addresses: a name whose last label is not
  // a word is an address, whatever its form.
  if (!/^[a-z][a-z0-9-]*$/.test(topLevel)) {
    return `names the IP address ${host}: registries are pulled by name (an address may be the node itself, cloud metadata or a private range)`;
  }
  const suffix = internalSuffixes.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) {
    return `names ${host}, an internal name (.${suffix}) only the node, the cluster or the datacenter resolves`;
  }
  if (labels.length === 1) {
    return `names the single-label host ${host}, which resolves through the node's search domains to a cluster or datacenter name`;
  }
  const wildcard = addressInNameDomains.find((d) => host === d || host.endsWith(`.${d}`));
  if (wildcard || encodesAddress(labels)) {
    return `names ${host}, which resolves to the address written in the name`;
  }
  return undefined;
}

/** Four labels in a row that are octets (10.0.0.1.example.com), or one dashed (10-0-0-1). */
function encodesAddress(labels: readonly string[]): boolean {
  const octet = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
  const dashed = /^(\d{1,3}-){3}\d{1,3}$|-(\d{1,3}-){3}\d{1,3}$|^(\d{1,3}-){3}\d{1,3}-/;
  let run = 0;
  for (const label of labels) {
    if (dashed.test(label)) return true;
    run = octet.test(label) ? run + 1 : 0;
    if (run === 4) return true;
  }
  return false;
}
