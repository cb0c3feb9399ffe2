#!/usr/bin/env bash
# Installs Binaryen's wasm-opt from the npm registry, at the version pinned in package.json and package-lock.json,
# into plugins/tools/wasm-opt/node_modules (git-ignored), for plugins/tools/wasm-ld. Idempotent: nothing to do when
# the pinned version is there. Needs Node.js and npm; without them it says so and installs nothing, and the plugins
# are built as before, only not optimised.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "plugins/tools/wasm-opt/install.sh: Node.js or npm is missing; plugins will be built without wasm-opt" >&2
    exit 0
fi
wanted=$(sed -n 's/.*"binaryen": *"\([^"]*\)".*/\1/p' package.json)
if grep -qs "\"version\": \"$wanted\"" node_modules/binaryen/package.json; then
    exit 0
fi
npm ci --no-audit --no-fund --silent
# Components linked before wasm-opt was here are up to date as far as cargo knows: touching the SDK's build script,
# which every plugin depends on, makes the next build link them again, this time optimised (and makes the host's
# built-in plugins, which watch plugins/sdk, rebuild theirs).
touch ../../sdk/build.rs
