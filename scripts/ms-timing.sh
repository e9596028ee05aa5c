#!/usr/bin/env bash
# Times `./ms --version` with nothing changed (the fast path: the last build, run directly) against what every call
# cost before the stamp (`dotnet build` of the CLI, incremental and with nothing to do, then the program), RUNS times
# each, alternated; prints each run and the medians in seconds. On a shared machine run it through the slot.
#   scripts/ms-timing.sh [RUNS]      # default 5
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
./ms --version >/dev/null # builds when a source changed since the last build: not part of the measure

seconds() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
rebuild_then_run() {
  dotnet build src/MentorStatus.Cli -c Release -nologo -v quiet && dotnet src/MentorStatus.Cli/bin/Release/net10.0/mentorstatus.dll --version
}
median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1000}'; }

fast=(); slow=()
for i in $(seq 1 "$runs"); do
  fast+=("$(seconds ./ms --version)")
  slow+=("$(seconds rebuild_then_run)")
  echo "run $i: ./ms ${fast[-1]} ms; build + run ${slow[-1]} ms"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo "median of $runs: ./ms with nothing changed $(printf '%s\n' "${fast[@]}" | median) s; build + run (every call before) $(printf '%s\n' "${slow[@]}" | median) s"
