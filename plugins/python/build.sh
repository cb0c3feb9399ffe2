#!/usr/bin/env bash
# Builds every Python plugin in this folder (each subfolder with a manifest.toml and an app.py) into a WebAssembly
# component, target/<folder>.wasm, with componentize-py at the version pinned in requirements.txt.
#
# Needs python3 (3.10 or later) with venv and pip, and PyPI the first time; the tool goes into .venv/ here, not
# into the system. Idempotent: the venv is made again only when requirements.txt changes, and a component only
# when one of its inputs (its *.py, the WIT files, requirements.txt) is newer than it. Package a component with
# `cohort plugin build <folder> --wasm target/<folder>.wasm` (docs/plugin-guide.md, "Writing a plugin in Python").
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")"

wit=../wit/since_v0.1.0
venv=.venv

if ! cmp -s requirements.txt "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv -r requirements.txt
    # Written last: it marks a venv whose install finished.
    cp requirements.txt "$venv/requirements.txt"
fi

mkdir -p target
for manifest in */manifest.toml; do
    dir=${manifest%/manifest.toml}
    out=target/$dir.wasm
    if [ -f "$out" ] && [ -z "$(find "$dir" "$wit" requirements.txt -newer "$out" \( -name '*.py' -o -name '*.wit' -o -name requirements.txt \) -not -name 'test_*.py' -print -quit)" ]; then
        echo "$out is up to date"
        continue
    fi
    # --stub-wasi: CPython's WASI imports (files, clocks, randomness) become stubs that trap, so the component
    # imports nothing but the host's log function; the Cohort host refuses any other import. The WIT world's
    # `segmenter-plugin` or `connector-plugin` must match the manifest's kind.
    case "$(sed -n 's/^kind *= *"\(.*\)"/\1/p' "$manifest")" in
        segmenter) world=segmenter-plugin ;;
        connector) world=connector-plugin ;;
        *) echo "$manifest: kind must be segmenter or connector" >&2; exit 1 ;;
    esac
    # The CPython inside componentize-py writes __pycache__/ next to the sources while it imports them (ignored).
    "$venv/bin/componentize-py" --quiet -d "$wit" -w "$world" \
        componentize --stub-wasi -p "$dir" app -o "$out.tmp"
    mv "$out.tmp" "$out"
    echo "built $out ($(wc -c <"$out") bytes)"
done
