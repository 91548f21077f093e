// A manifest is valid when it matches the schema and its lists have no duplicate keys (the API
// server enforces the same on ComputeLease.spec.manifest through list-map keys).
import { WorkloadManifest } from '../api/workload-manifest.js';
import { joinPath, validate, type ValidationIssue } from '../api/validate.js';
import { forbiddenFieldReasons } from './security.js';

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
  ];
  return issues.length > 0 ? { ok: false, issues } : { ok: true, manifest: result.value };
}

/** An unknown field that is a known way to escape isolation gets the reason it is refused. */
export function explainForbiddenField(issue: ValidationIssue): ValidationIssue {
  if (issue.message !== 'unknown field') return issue;
  const field = /(?:^|\.)([A-Za-z]+)$/.exec(issue.path)?.[1];
  const reason = field ? forbiddenFieldReasons[field] : undefined;
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
