#!/usr/bin/env bash
# Installs the npm packages of the Azure DevOps extension from the committed
# lockfiles: build and test tools in azure-task/, and each task's runtime
# dependencies in azure-task/QualysAuthenticate/ and
# azure-task/QualysRegistryLogin/ (they ship inside the task folders). Safe to
# run again: npm ci replaces node_modules.
set -euo pipefail
cd "$(dirname "$0")/../../azure-task"

if ! command -v node > /dev/null; then
  echo "40-node.sh: node is not installed; the Azure DevOps task needs Node.js 20 or newer" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "40-node.sh: Node.js $(node --version) is too old; the task needs 20 or newer" >&2
  exit 1
fi

npm ci --no-audit --no-fund
# npm 11 warns that it skipped koffi's install script. That script only
# checks that the prebuilt binary bundled in koffi 2.12 loads, and builds
# from source when it does not. The suite loads koffi in every task run.
for task in QualysAuthenticate QualysRegistryLogin; do
  (cd "$task" && npm ci --omit=dev --no-audit --no-fund)
done
