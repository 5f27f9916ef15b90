#!/usr/bin/env bash
# Clients no one here wrote, from openapi-python-client (PyPI):
# 1. a client generated from tests/evolution/all.yaml, against the sandbox
#    binary started with --spec on that file: check.py calls every operation;
# 2. a client generated from openapi.yaml, driven through every vector by
#    the conformance driver (`openscaler-sandbox conformance`) with
#    testee.py: it must fail exactly the vectors of expected-failures.txt,
#    and the JUnit file must parse as XML.
# Usage: sandbox/tests/generated/run.sh [SANDBOX_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../../.."
binary="${1:-target/debug/openscaler-sandbox}"
here=sandbox/tests/generated
work="$(mktemp -d)"
trap 'kill "${sandbox_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check openapi-python-client==0.29.1
"$work/venv/bin/openapi-python-client" generate --path tests/evolution/all.yaml --meta none \
  --output-path "$work/client/openscaler_client" >/dev/null 2>&1
"$binary" --port 0 --spec tests/evolution/all.yaml >"$work/ready" &
sandbox_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/ready" ] && break
  sleep 0.1
done
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$work/ready")
"$work/venv/bin/python" "$here/check.py" "$url" "$work/client"
kill "$sandbox_pid"

echo "conformance: openapi-python-client's client of openapi.yaml through every vector"
"$work/venv/bin/openapi-python-client" generate --path openapi.yaml --meta none \
  --output-path "$work/vendor/openscaler_client" >/dev/null 2>&1
"$binary" conformance --testee "$work/venv/bin/python $here/testee.py $work/vendor" \
  --expected-failures "$here/expected-failures.txt" --junit "$work/python.xml"
# Exit 0 above: exactly the listed failures. The JUnit file is XML a viewer reads.
python3 - "$work/python.xml" "$here/expected-failures.txt" <<'PY'
import sys, xml.etree.ElementTree as ET
suites = ET.parse(sys.argv[1]).getroot()
listed = {l.split("#")[0].strip() for l in open(sys.argv[2])} - {""}
xfail = {c.get("name") for c in suites.iter("testcase")
         if any(s.get("message", "").startswith("expected failure") for s in c.iter("skipped"))}
assert suites.tag == "testsuites" and suites.get("failures") == "0" and suites.get("errors") == "0", suites.attrib
assert xfail == listed, (xfail, listed)
print(f"junit: {suites.get('tests')} cases, the {len(xfail)} expected failures as listed")
PY
