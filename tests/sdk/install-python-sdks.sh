#!/usr/bin/env bash
# Installs the official server-side Python SDKs of Segment (segment-analytics-python) and RudderStack
# (rudder-sdk-python), from PyPI, into tests/sdk/.venv (git-ignored) for tests/tests/http_segment_sdk.rs, which runs
# them against a real `cohort serve`. Idempotent; needs python3 with the venv module and access to PyPI. The versions
# are pinned so the tests exercise known SDKs.
set -euo pipefail
cd "$(dirname "$0")"
segment="2.3.4"
rudderstack="2.1.9"
if [ -x .venv/bin/python ] && .venv/bin/python - "$segment" "$rudderstack" <<'PY' 2>/dev/null; then
import importlib.metadata as m, sys
sys.exit(m.version('segment-analytics-python') != sys.argv[1] or m.version('rudder-sdk-python') != sys.argv[2])
PY
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    "segment-analytics-python==$segment" "rudder-sdk-python==$rudderstack"
