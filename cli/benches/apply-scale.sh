#!/usr/bin/env bash
# BENCHMARKS.md, "apply at scale": `openscaler apply` of 1,000, 10,000 and
# 100,000 entries (YAML and JSON) against the release sandbox, beside
# `xargs -P 8 curl` for the same updates. Prints one line per run: wall
# seconds, CPU seconds (user + system, children included) and peak RSS in
# MiB (for xargs: its largest process, a curl).
#
#   cargo build --release -p openscaler-cli -p openscaler-sandbox
#   cli/benches/apply-scale.sh [DIR]       # DIR: where the files go (/tmp/apply-scale)
#   SIZES="1000" cli/benches/apply-scale.sh  # fewer sizes
#   BASELINE=/path/to/older/openscaler cli/benches/apply-scale.sh  # that build too
#
# Run on a quiet machine (uptime's load under 1.5).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-/tmp/apply-scale}"
port=18080
url="http://127.0.0.1:$port"
export OPENSCALER_TOKEN=bench-token
bin=target/release

mkdir -p "$dir"
sizes="${SIZES:-1000 10000 100000}"
for n in $sizes; do
  [ -f "$dir/curl-$n.txt" ] || python3 cli/benches/apply_files.py "$n" "$dir" "$url"
done

measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -o "$dir/time.txt" -f '%e %U %S %M' "$@" >/dev/null 2>"$dir/stderr.txt" || {
    printf '%-28s failed: %s\n' "$label" "$(grep -m1 '^error' "$dir/stderr.txt" | cut -c1-110)"
    return 0; }
  read -r wall user sys rss < "$dir/time.txt"
  printf '%-28s wall %6.2f s  CPU %6.2f s  peak RSS %6.1f MiB\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $rss / 1024" | bc)"
}

for n in $sizes; do
  "$bin/openscaler-sandbox" --port "$port" --seed 1 --token bench-token \
    --state "$dir/state-$n.json" >"$dir/ready.txt" &
  sandbox=$!
  trap 'kill "$sandbox" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do [ -s "$dir/ready.txt" ] && break; sleep 0.1; done
  for format in yaml json; do
    measure "apply $n $format" "$bin/openscaler" apply -f "$dir/apply-$n.$format" \
      --base-url "$url" -q -o json
    if [ -n "${BASELINE:-}" ]; then
      measure "  baseline $n $format" "$BASELINE" apply -f "$dir/apply-$n.$format" \
        --base-url "$url" -q -o json
    fi
  done
  measure "xargs -P 8 curl $n" xargs -P 8 -L 1 curl -sS -f -o /dev/null -X PUT \
    -H "Authorization: Bearer $OPENSCALER_TOKEN" -H 'Content-Type: application/json' \
    < "$dir/curl-$n.txt"
  kill "$sandbox"; wait "$sandbox" 2>/dev/null || true
  trap - EXIT
done
for n in $sizes; do ls -l "$dir/apply-$n.yaml" "$dir/apply-$n.json"; done | awk '{printf "%s %.1f MiB\n", $NF, $5 / 1048576}'
