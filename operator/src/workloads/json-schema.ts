// The workload manifest as a standalone JSON Schema, for editors (YAML language servers) and
// tenants' own tooling. Same source as the validation and the CRD.
import { WorkloadManifest } from '../api/workload-manifest.js';

/** Where the schema says it lives; editors key their cache on it. */
export const manifestSchemaId = 'https://supercloud.dev/schemas/workload-manifest/v1.json';

/** Keywords only this project reads (CRD generator, error messages); not JSON Schema. */
const projectKeywords = /^(patternMessage|x-kubernetes-.*)$/;

/**
 * The JSON Schema (draft 2020-12) of a workload manifest.
 *
 * @example writeFileSync('manifest.schema.json', JSON.stringify(manifestJsonSchema(), null, 2))
 */
export function manifestJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(
    JSON.stringify(WorkloadManifest, (key, value: unknown) =>
      projectKeywords.test(key) ? undefined : value,
    ),
  ) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: manifestSchemaId,
    title: 'supercloud workload manifest',
    ...plain,
  };
}
