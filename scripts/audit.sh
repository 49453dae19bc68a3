#!/usr/bin/env bash
# Supply-chain checks, run by `make audit` (and so by CI before the tests):
#  1. pip-audit: every pin in requirements-dev.lock (the runtime pins are a subset) against the PyPI advisory data.
#  2. detect-secrets: no new secret in any tracked file, compared with the committed .secrets.baseline.
# pip-audit needs its vulnerability service (PyPI's per-release JSON API, or OSV). Where neither answers,
# scripts/vulncheck.py runs instead, from PyPI's per-project JSON, which lists advisories for a project's latest
# release only: pins at the latest release are checked (a listed advisory fails the audit), older pins are listed as
# NOT checked. Where PyPI does not answer at all, nothing is checked, with a loud message instead of a failure: say
# which of these happened when you read a green run.
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
  echo "!! pip-audit SKIPPED: neither PyPI's per-release JSON API nor api.osv.dev answers from this machine."
  echo "!! Fallback, scripts/vulncheck.py: PyPI's per-project JSON lists advisories for each project's latest release"
  echo "!! only, so only pins AT the latest release are checked; older pins are NOT checked (listed below), nor is"
  echo "!! any advisory PyPI does not list. Run 'make audit' where pip-audit's service answers for a full check."
  "$BIN/python" scripts/vulncheck.py -r requirements-dev.lock
  case $? in
    0) ;;
    3) echo "!! SKIPPED: PyPI's project JSON does not answer either: the pinned versions were NOT checked for known"
       echo "!! vulnerabilities at all. Run 'make audit' where PyPI or OSV answers." ;;
    *) status=1 ;;
  esac
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
