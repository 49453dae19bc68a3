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
# A fresh scan of the tracked files compared by (file, hashed secret) with the baseline, so moved lines are fine
# (detect-secrets-hook would rewrite the baseline and fail for a line number alone).
scan=$(mktemp)
"$BIN/detect-secrets" scan --exclude-files '^\.secrets\.baseline$' > "$scan" && "$BIN/python" - "$scan" <<'PY' || status=1
import json, sys
found = json.load(open(sys.argv[1]))["results"]
known = json.load(open(".secrets.baseline"))["results"]
seen = {(f, s["hashed_secret"]) for f, items in known.items() for s in items}
new = [(f, s["line_number"], s["type"]) for f, items in found.items() for s in items if (f, s["hashed_secret"]) not in seen]
for f, line, kind in new:
    print(f"new possible secret: {f}:{line} ({kind})")
if new:
    print("Remove it; or, if it is not a secret, run: .venv/bin/detect-secrets scan --baseline .secrets.baseline")
    print("and review and commit the updated baseline.")
    sys.exit(1)
print(f"no new secrets ({sum(len(v) for v in found.values())} known findings, all in the baseline)")
PY
rm -f "$scan"
exit $status
