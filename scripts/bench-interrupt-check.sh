#!/usr/bin/env bash
# The bench, started in the background by a script, must still stop cleanly on SIGINT. A non-interactive bash
# starts background jobs with SIGINT ignored, and .NET would then never see it (InterruptSignal.RestoreIfIgnored).
# Checked here: exit 130, the bench's PostgreSQL stopped, its folder deleted. Needs the bench built in Release
# (scripts/test.sh runs the bench before this).
set -euo pipefail
cd "$(dirname "$0")/.."

bench=bench/MentorStatus.Bench/bin/Release/net10.0/mentorstatus-bench.dll
[ -f "$bench" ] || { echo "bench-interrupt-check: $bench is missing: build the bench in Release first" >&2; exit 2; }
tmp="${TMPDIR:-/tmp}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "bench-interrupt-check: FAILED: $*" >&2; sed 's/^/  bench: /' "$out/stderr" >&2 || true; exit 1; }

ls -d "$tmp"/mentorstatus-bench-data-* 2>/dev/null | sort > "$out/before" || true
dotnet "$bench" --size ci --cases certification_expiry --runs 1 \
  --out "$out/bench.md" --json "$out/bench.json" --svg "$out/bench.svg" >/dev/null 2>"$out/stderr" &
pid=$!

# Wait for the bench's own cluster (a folder that was not there before) to report its server ready.
dir=""
for _ in $(seq 1 240); do
  kill -0 "$pid" 2>/dev/null || fail "the bench ended before it was interrupted"
  ls -d "$tmp"/mentorstatus-bench-data-* 2>/dev/null | sort > "$out/after" || true
  dir=$(comm -13 "$out/before" "$out/after" | head -n 1)
  if [ -n "$dir" ] && grep -qs '^ready' "$dir/data/postmaster.pid"; then break; fi
  sleep 0.5
done
[ -n "$dir" ] && grep -qs '^ready' "$dir/data/postmaster.pid" || { kill -TERM "$pid" 2>/dev/null; fail "no bench cluster became ready within 120 s"; }
sleep 2 # into the data load
postmaster=$(head -n 1 "$dir/data/postmaster.pid") # this bench's own server: the only process checked afterwards

kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || fail "exit code $rc after SIGINT, expected 130 (cancelled)"
[ ! -e "$dir" ] || fail "the bench cluster's folder $dir is still there"
if kill -0 "$postmaster" 2>/dev/null && grep -qs -- "$dir/data" "/proc/$postmaster/cmdline"; then
  fail "the bench's postgres (pid $postmaster) is still running"
fi
echo "bench-interrupt-check: SIGINT to a background bench: exit 130, its cluster stopped and $dir deleted"
