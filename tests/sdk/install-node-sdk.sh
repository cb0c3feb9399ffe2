#!/usr/bin/env bash
# Installs the official Node.js SDKs of Segment (@segment/analytics-node) and RudderStack (@rudderstack/rudder-sdk-node),
# from the npm registry at the versions pinned in package.json and package-lock.json, into tests/sdk/node_modules
# (git-ignored) for tests/tests/http_segment_sdk.rs.
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
if node -e '
    const wanted = require("./package.json").dependencies;
    const ok = Object.entries(wanted).every(([name, version]) => {
        try { return require(`./node_modules/${name}/package.json`).version === version; } catch { return false; }
    });
    process.exit(ok ? 0 : 1);' 2>/dev/null; then
    exit 0
fi
npm ci --no-audit --no-fund --silent
