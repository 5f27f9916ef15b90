#!/usr/bin/env bash
# A client no one here wrote: generates a Python client from
# tests/evolution/all.yaml with openapi-python-client (PyPI), starts the
# sandbox binary with --spec on that file, and runs check.py against it.
# Usage: sandbox/tests/generated/run.sh [SANDBOX_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../../.."
binary="${1:-target/debug/openscaler-sandbox}"
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
"$work/venv/bin/python" sandbox/tests/generated/check.py "$url" "$work/client"
