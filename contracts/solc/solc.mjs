// A native-solc command line over the solc npm package (solc-js, WebAssembly), for forge:
//   solc --version                        → "solc, the solidity compiler commandline interface\nVersion: …"
//   solc --standard-json [--base-path D] [--include-path D]… [--allow-paths D,D…] < input.json
// Imports that forge did not inline in the standard JSON are read from the base path, then the
// include paths, and only from inside the base, include and allowed paths (as native solc does).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { Buffer } from 'node:buffer';
import process from 'node:process';

const solc = createRequire(import.meta.url)('solc');

/** Parses the options forge passes; unknown options fail loudly so a forge upgrade is noticed. */
function parseArguments(args) {
  const options = {
    version: false,
    standardJson: false,
    basePath: undefined,
    includePaths: [],
    allowPaths: [],
  };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    const value = () => {
      const next = args[index + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      index += 1;
      return next;
    };
    if (arg === '--version') options.version = true;
    else if (arg === '--standard-json') options.standardJson = true;
    else if (arg === '--base-path') options.basePath = resolve(value());
    else if (arg === '--include-path') options.includePaths.push(resolve(value()));
    else if (arg === '--allow-paths')
      options.allowPaths.push(
        ...value()
          .split(',')
          .filter(Boolean)
          .map((p) => resolve(p)),
      );
    else
      throw new Error(
        `unsupported option ${arg}: this adapter implements --version and --standard-json only`,
      );
  }
  return options;
}

const isInside = (path, directory) => {
  const rel = relative(directory, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** solc-js's import callback: the file's contents, or the reason it cannot be read. */
function importResolver({ basePath, includePaths, allowPaths }) {
  const base = basePath ?? process.cwd();
  const roots = [base, ...includePaths];
  const allowed = [...roots, ...allowPaths];
  return (path) => {
    const candidates = isAbsolute(path) ? [path] : roots.map((root) => resolve(root, path));
    for (const candidate of candidates) {
      if (!allowed.some((directory) => isInside(candidate, directory))) continue;
      try {
        return { contents: readFileSync(candidate, 'utf8') };
      } catch {
        // not under this root: try the next one
      }
    }
    return { error: `File not found inside the base path or any include or allowed path: ${path}` };
  };
}

/** All of stdin; read as a stream because forge may hand over a non-blocking pipe (EAGAIN). */
async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options.version) {
    // forge reads the version from the second line, as native solc prints it.
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    return;
  }
  if (!options.standardJson)
    throw new Error('usage: solc --version | solc --standard-json < input.json');
  const input = await readStdin();
  process.stdout.write(solc.compile(input, { import: importResolver(options) }));
}

main().catch((error) => {
  process.stderr.write(
    `solc (solc-js adapter): ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
