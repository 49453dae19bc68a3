#!/usr/bin/env bash
# Supply-chain checks, run by `make audit` (and so by CI before the tests):
#  1. pip-audit: every pin in requirements-dev.lock (the runtime pins are a subset) against the PyPI advisory data.
#  2. detect-secrets: no new secret in any tracked file, compared with the committed .secrets.baseline.
# pip-audit needs its vulnerability service (PyPI's per-release JSON API, or OSV). Where neither answers, it is
# skipped with a loud message instead of failing: say so when you read a green run from such a machine.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
status=0

echo "== pip-audit (requirements-dev.lock)"
service=""
if "$BIN/python" - <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen("https://pypi.org/pypi/pip/24.0/json", timeout=10) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
then
  service=pypi
elif "$BIN/python" -c "import socket; socket.getaddrinfo('api.osv.dev', 443)" 2>/dev/null; then
  service=osv
fi
if [ -n "$service" ]; then
  "$BIN/pip-audit" --disable-pip --require-hashes -r requirements-dev.lock --vulnerability-service "$service" \
    --progress-spinner off --strict || status=1
else
  echo "!! SKIPPED pip-audit: neither PyPI's per-release JSON API nor api.osv.dev answers from this machine,"
  echo "!! so the pinned versions were NOT checked for known vulnerabilities. Run 'make audit' where one answers."
fi

echo "== detect-secrets (against .secrets.baseline)"
git ls-files -z | xargs -0 "$BIN/detect-secrets-hook" --baseline .secrets.baseline || {
  echo "detect-secrets found a new secret (above). Remove it, or if it is a false positive, run:"
  echo "  $BIN/detect-secrets scan --baseline .secrets.baseline   # then review and commit the baseline"
  status=1
}
exit $status
