#!/usr/bin/env bash
# Runs Cohort's whole test suite on a machine that has only the Rust toolchain (rustup + cargo).
# It installs what the build needs first, so it works on a fresh clone: `bash tests/run-all.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain named in rust-toolchain.toml, with the components and targets the build uses. A toolchain file
# alone does not add a target to a toolchain that is already installed, so add them explicitly (idempotent).
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
rustup toolchain install "$toolchain" --profile minimal --component rustfmt --component clippy >/dev/null
rustup target add --toolchain "$toolchain" wasm32-unknown-unknown >/dev/null

# The plugins are a cargo workspace of their own (plugins/Cargo.toml). Cargo reads plugins/.cargo/config.toml, which
# links them into WebAssembly components, only when run from plugins/ (not with --manifest-path from here), hence
# the `cd`. Build the components first, so a plugin that does not build fails early and plainly; then test the
# plugins' logic natively (which also checks the components' imports).
# Binaryen's wasm-opt (npm, pinned in plugins/tools/wasm-opt), which plugins/tools/wasm-ld runs over every plugin's
# core module: the components tested and benchmarked are the optimised ones the build ships.
bash plugins/tools/wasm-opt/install.sh
(cd plugins && cargo build --release --target wasm32-unknown-unknown --locked)
(cd plugins && cargo test --locked)

# The official Python SDKs of Segment and RudderStack, for the tests that send with them to `cohort serve` (into a
# git-ignored venv).
bash tests/sdk/install-python-sdks.sh
# The official Node.js SDKs of Segment and RudderStack, for the same tests (npm ci into git-ignored
# tests/sdk/node_modules).
bash tests/sdk/install-node-sdk.sh

# The Python plugins (plugins/python) are built by componentize-py, which build.sh installs in a venv of its own
# (PyPI on the first run; quick when nothing changed), then their logic is unit-tested with plain python3.
bash plugins/python/build.sh
for manifest in plugins/python/*/manifest.toml; do
    (cd "$(dirname "$manifest")" && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest --quiet)
done

cargo test --workspace --locked "$@"
