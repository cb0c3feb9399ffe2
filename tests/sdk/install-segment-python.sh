#!/usr/bin/env bash
# Installs Segment's official Python SDK (segment-analytics-python, from PyPI) into tests/sdk/.venv (git-ignored)
# for tests/tests/http_segment_sdk.rs, which runs it against a real `cohort serve`. Idempotent; needs python3 with
# the venv module and access to PyPI. The version is pinned so the test exercises a known SDK.
set -euo pipefail
cd "$(dirname "$0")"
version="2.3.4"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('segment-analytics-python') != '$version')" 2>/dev/null; then
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "segment-analytics-python==$version"
