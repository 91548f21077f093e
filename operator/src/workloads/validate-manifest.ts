// A manifest is valid when it matches the schema and its lists have no duplicate keys (the API
// server enforces the same on ComputeLease.spec.manifest through list-map keys).
import {
  generatedPortNamePattern,
  manifestLimits,
  WorkloadManifest,
} from '../api/workload-manifest.js';
import { joinPath, validate, type ValidationIssue } from '../api/validate.js';
import { httpPorts } from './http-hosts.js';
import { forbiddenFieldReasons, gpuRuntimeEnvReason } from './security.js';
import { manifestTotals } from './totals.js';

export type ValidateManifestReturnType =
  { ok: true; manifest: WorkloadManifest } | { ok: false; issues: ValidationIssue[] };

/**
 * Checks a manifest (already parsed from YAML or JSON, or taken from a ComputeLease).
 * @param basePath prefix of issue paths, e.g. `spec.manifest`.
 * @returns the manifest with defaults applied, or the issues naming each bad field.
 */
export function validateManifest(value: unknown, basePath = ''): ValidateManifestReturnType {
  const result = validate(WorkloadManifest, value, basePath);
  if (!result.ok) {
    return { ok: false, issues: result.issues.map(explainForbiddenField) };
  }
  const issues = [
    ...duplicateKeys(result.value, basePath),
    ...sharedMemoryIssues(result.value, basePath),
    ...portNameIssues(result.value, basePath),
    ...gpuRuntimeEnvIssues(result.value, basePath),
    ...envSourceIssues(result.value, basePath),
    ...httpPortIssues(result.value, basePath),
    ...httpHostIssues(result.value, basePath),
    ...podCountIssues(result.value, basePath),
  ];
  return issues.length > 0 ? { ok: false, issues } : { ok: true, manifest: result.value };
}

/** An unknown field that is a known way to escape isolation gets the reason it is refused. */
export function explainForbiddenField(issue: ValidationIssue): ValidationIssue {
  if (issue.message !== 'unknown field') return issue;
  const field = /(?:^|\.)([A-Za-z]+)$/.exec(issue.path)?.[1];
  const reason =
    field && Object.hasOwn(forbiddenFieldReasons, field) ? forbiddenFieldReasons[field] : undefined;
  return reason ? { path: issue.path, message: `unknown field: ${reason}` } : issue;
}

function duplicateKeys(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const services = joinPath(basePath, 'services');
  issues.push(...duplicates(manifest.services, (s) => s.name, `${services}`, 'name'));
  manifest.services.forEach((service, index) => {
    const at = `${services}[${index}]`;
    issues.push(...duplicates(service.env, (e) => e.name, `${at}.env`, 'name'));
    issues.push(
      ...duplicates(service.ports, (p) => `${p.port}/${p.protocol}`, `${at}.ports`, 'port'),
    );
    const named = service.ports.filter((p) => p.name !== undefined);
    issues.push(...duplicates(named, (p) => p.name ?? '', `${at}.ports`, 'name'));
  });
  return issues;
}

/** The CRD's CEL rule `shmMiB <= memoryMiB`, for manifests that do not come through the API. */
function sharedMemoryIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  return manifest.services.flatMap((service, index) =>
    service.resources.shmMiB > service.resources.memoryMiB
      ? [
          {
            path: joinPath(basePath, `services[${index}].resources.shmMiB`),
            message: `shmMiB (${service.resources.shmMiB}) must not exceed memoryMiB (${service.resources.memoryMiB}): shared memory is memory`,
          },
        ]
      : [],
  );
}

/** The CRD's CEL rules on port names: at least one letter, never a generated name. */
function portNameIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  const generated = new RegExp(generatedPortNamePattern);
  return manifest.services.flatMap((service, s) =>
    service.ports.flatMap(({ name }, p) => {
      const path = joinPath(basePath, `services[${s}].ports[${p}].name`);
      if (name === undefined) return [];
      if (!/[a-z]/.test(name)) {
        return [{ path, message: `${JSON.stringify(name)} must contain at least one letter` }];
      }
      if (generated.test(name)) {
        return [
          {
            path,
            message: `${JSON.stringify(name)} has the form tcp-<port> or udp-<port>, the names unnamed ports get; choose another`,
          },
        ];
      }
      return [];
    }),
  );
}

/** Variables a GPU runtime reads would override the GPUs the device plugin allocated. */
function gpuRuntimeEnvIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  return manifest.services.flatMap((service, s) =>
    service.env.flatMap(({ name }, e) => {
      const reason = gpuRuntimeEnvReason(name);
      return reason
        ? [{ path: joinPath(basePath, `services[${s}].env[${e}].name`), message: reason }]
        : [];
    }),
  );
}

/** An environment variable is a public value or a secret by name, never both or neither. */
function envSourceIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  return manifest.services.flatMap((service, s) =>
    service.env.flatMap((env, e) =>
      (env.value === undefined) === (env.secret === undefined)
        ? [
            {
              path: joinPath(basePath, `services[${s}].env[${e}]`),
              message: 'an environment variable has exactly one of value and secret',
            },
          ]
        : [],
    ),
  );
}

/** Only an exposed TCP port can be published as HTTP through an Ingress. */
function httpPortIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  return manifest.services.flatMap((service, s) =>
    service.ports.flatMap((port, p) =>
      port.http && !(port.expose && port.protocol === 'TCP')
        ? [
            {
              path: joinPath(basePath, `services[${s}].ports[${p}].http`),
              message: 'http is for exposed TCP ports',
            },
          ]
        : [],
    ),
  );
}

/**
 * Two HTTP ports may not get one host name: a further HTTP port of service `api` (`api-8080`)
 * and the first one of a service named `api-8080`.
 */
function httpHostIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  const taken = new Map<string, string>();
  return httpPorts(manifest).flatMap(({ service, port, name }) => {
    const first = taken.get(name);
    if (first === undefined) {
      taken.set(name, `service ${service} port ${port}`);
      return [];
    }
    const s = manifest.services.findIndex((candidate) => candidate.name === service);
    const p = manifest.services[s]?.ports.findIndex((c) => c.port === port && c.http === true);
    return [
      {
        path: joinPath(basePath, `services[${s}].ports[${p}].http`),
        message: `gets the host name lease-<id>-${name}, as ${first} does; rename a service`,
      },
    ];
  });
}

/** The most pods a manifest using `gpus` GPUs in all may run. */
function maxPodsFor(gpus: number): number {
  const { podsPerLease, podsPerGpu, maxPodsPerLease } = manifestLimits;
  return Math.min(maxPodsPerLease, podsPerLease + podsPerGpu * gpus);
}

/** Pod slots on the pool's nodes are not priced: a lease may not fill them with tiny pods. */
function podCountIssues(manifest: WorkloadManifest, basePath: string): ValidationIssue[] {
  const { replicas, gpus } = manifestTotals(manifest);
  const max = maxPodsFor(gpus);
  if (replicas <= max) return [];
  return [
    {
      path: joinPath(basePath, 'services'),
      message: `the services run ${replicas} pods (replicas included); a workload using ${gpus} GPUs may run at most ${max} (${manifestLimits.podsPerLease} plus ${manifestLimits.podsPerGpu} per GPU, at most ${manifestLimits.maxPodsPerLease})`,
    },
  ];
}

function duplicates<T>(
  items: readonly T[],
  key: (item: T) => string,
  listPath: string,
  field: string,
): ValidationIssue[] {
  const seen = new Map<string, number>();
  const issues: ValidationIssue[] = [];
  items.forEach((item, index) => {
    const value = key(item);
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, index);
    } else {
      issues.push({
        path: `${listPath}[${index}].${field}`,
        message: `duplicate ${JSON.stringify(value)}, already at ${listPath}[${first}]`,
      });
    }
  });
  return issues;
}
