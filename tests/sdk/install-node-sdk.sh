#!/usr/bin/env bash
# Installs Segment's official Node.js SDK (@segment/analytics-node, from the npm registry, at the version pinned in
# package.json and package-lock.json) into tests/sdk/node_modules (git-ignored) for tests/tests/http_segment_sdk.rs.
# Idempotent; needs Node.js 20 or later and npm. `npm ci` installs exactly what the lock file names.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    # Machines of this project's kind come with Node.js 20; a bare one gets it from its Debian repositories.
    echo "install-node-sdk.sh: Node.js or npm is missing; installing them with apt-get" >&2
    apt-get install -y -qq nodejs npm >/dev/null || {
        echo "install-node-sdk.sh: could not install Node.js; install Node.js 20 or later and npm, then rerun" >&2
        exit 1
    }
fi
if [ -f node_modules/@segment/analytics-node/package.json ] \
    && node -e 'process.exit(require("./node_modules/@segment/analytics-node/package.json").version === require("./package.json").dependencies["@segment/analytics-node"] ? 0 : 1)'; then
    exit 0
fi
npm ci --no-audit --no-fund --silent
