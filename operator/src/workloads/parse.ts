// Parsing a tenant's manifest file (YAML or JSON) without trusting it: bounded size and depth,
// no anchors or aliases (the "billion laughs" bomb needs them), no custom tags, no duplicate
// keys, YAML 1.2 core types only; then the same validation as a ComputeLease manifest.
import yaml from 'js-yaml';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { truncate, ValidationError, type ValidationIssue } from '../api/validate.js';
import { validateManifest } from './validate-manifest.js';

/** Largest manifest file accepted, in bytes: it travels in calldata and into etcd. */
export const maxManifestBytes = 256 * 1024;

/** Deepest nesting a manifest needs is 5; this leaves room and stops deep-recursion input. */
const maxDepth = 16;

/** Thrown by parseManifestYaml; `issues` name each problem (path '' for the whole document). */
export class ManifestError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super('workload manifest', issues);
  }
}

/**
 * Parses and validates a workload manifest from YAML (or JSON, a subset of YAML).
 * @returns the manifest with defaults applied.
 * @throws ManifestError naming the field, or the YAML line, that is wrong.
 *
 * @example parseManifestYaml(readFileSync('examples/workloads/llm-inference.yaml', 'utf8'))
 */
export function parseManifestYaml(text: string): WorkloadManifest {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxManifestBytes) {
    throw new ManifestError([
      { path: '', message: `the manifest is ${bytes} bytes; at most ${maxManifestBytes} allowed` },
    ]);
  }
  const result = validateManifest(loadYaml(text));
  if (!result.ok) throw new ManifestError(result.issues);
  return result.manifest;
}

function loadYaml(text: string): unknown {
  try {
    return yaml.load(text, {
      schema: yaml.CORE_SCHEMA,
      json: false,
      maxDepth,
      // Every alias needs an anchor, so refusing anchors refuses aliases.
      listener(event, state) {
        const { anchor, line } = state as unknown as { anchor?: string | null; line: number };
        if (event === 'close' && anchor) {
          throw new Error(
            `YAML anchors and aliases are not allowed (anchor "&${anchor}" at line ${line + 1})`,
          );
        }
      },
    } as yaml.LoadOptions);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // The parser quotes the input (a tag, a key) in its message: keep a hostile one short.
    throw new ManifestError([
      { path: '', message: `not valid YAML: ${truncate(message ?? '', 200)}` },
    ]);
  }
}
