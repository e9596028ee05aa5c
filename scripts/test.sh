#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need when it is missing
# (PostgreSQL 15 and pgTAP from Debian, the Supabase CLI from npm), then the xunit suite, which starts
# its own PostgreSQL 15 and runs the pgTAP files too. Every step runs even after one failed; a summary of the steps
# (name, ok/FAILED, seconds) ends the output, and the exit code is 1 when any step failed.
# Ports: every throwaway server (tests, bench, lint) takes a free one; MENTORSTATUS_TEST_PORTS=20000-20999 keeps them
# inside a range (e.g. to stay clear of another checkout's or a `supabase start` stack's ports).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
need_deb() { # need_deb FILE PACKAGE: install PACKAGE when FILE is missing
  [ -e "$1" ] && return 0
  echo "==> installing $2 (missing $1)"
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

need_deb /usr/lib/postgresql/15/bin/postgres postgresql-15
need_deb /usr/share/postgresql/15/extension/pgtap.control postgresql-15-pgtap
# the transaction-pooler tests (tests/MentorStatus.Tests/ScaleOut) and bench case run a real PgBouncer
need_deb /usr/sbin/pgbouncer pgbouncer

# The real Supabase CLI, for the test proving that it and our engine share one migration journal.
if [ ! -x .tools/node_modules/.bin/supabase ]; then
  echo "==> installing the Supabase CLI 2.117.0 into .tools/"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent -E supabase@2.117.0
fi

# db rehearse's tests fill a source with 1 M history rows by default; CI uses 200 000 to stay quick on
# shared runners (the logic is the same; run `dotnet test` without it for the 1 M size).
export MENTORSTATUS_REHEARSE_TEST_ROWS="${MENTORSTATUS_REHEARSE_TEST_ROWS:-200000}"

steps=()
step() { # step NAME COMMAND...: runs one step, records ok/FAILED and its seconds, never stops the script
  local name="$1" started=$SECONDS rc=0
  shift
  echo "==> $name"
  # A new bash, so that `set -e` holds inside the step's functions (it is ignored in a subshell run under `||`).
  bash -euo pipefail -c '"$@"' "$name" "$@" || rc=$?
  if [ "$rc" = 0 ]; then steps+=("$(printf '%-34s ok      %5ds' "$name" $((SECONDS - started)))")
  else steps+=("$(printf '%-34s FAILED  %5ds  (exit %d)' "$name" $((SECONDS - started)) "$rc")"); failed=1; fi
}
failed=0

step "dotnet build" dotnet build MentorStatus.slnx -c Release --nologo -v quiet

# The suite runs with a temp folder of its own (0711: the postgres OS user may pass through, nobody may list it):
# every cluster, dump and project a test makes lands in it, so a test never sees another run's files, and whatever
# a killed test left (a server still running included) is stopped and deleted here, not by the next run.
run_tests() {
  run_tmp=$(mktemp -d /tmp/ms.XXXXXX) # short: a cluster socket path inside must stay within 107 bytes
  chmod 0711 "$run_tmp"
  trap 'stop_servers_in "$run_tmp"; rm -rf "$run_tmp"' EXIT
  # no MSBuild node may outlive the step with this TMPDIR (the next steps build again)
  local rc=0 failed_names filter
  TMPDIR="$run_tmp" MSBUILDDISABLENODEREUSE=1 dotnet test MentorStatus.slnx -c Release --nologo --no-build "$@" \
    | tee "$test_log" || rc=$?
  [ "$rc" = 0 ] && return 0
  # A test that failed once on a shared 2-core runner (timing, a neighbour's load) is run once more, alone; it counts
  # as passed only if it passes then, and the summary names it as flaky with its first failure. More than five
  # failures, or a failure that names no test (a crash), is no flake: the step fails at once.
  failed_names=$(grep -oE '^\s+Failed [A-Za-z_][A-Za-z0-9_.]*' "$test_log" | awk '{print $2}' | sort -u)
  if [ -z "$failed_names" ] || [ "$(wc -l <<<"$failed_names")" -gt 5 ]; then return "$rc"; fi
  filter=$(sed 's/^/FullyQualifiedName=/' <<<"$failed_names" | paste -sd'|')
  echo "==> running the failed test(s) once more, alone: $filter"
  TMPDIR="$run_tmp" MSBUILDDISABLENODEREUSE=1 dotnet test MentorStatus.slnx -c Release --nologo --no-build "$@" \
    --filter "$filter" | tee "$retry_log" || return 1
  printf '%s\n' "$failed_names" > "$flaky_list"
}
stop_servers_in() { # PostgreSQL servers and PgBouncers still running from a data folder or pid file under $1
  local pidfile pid
  while IFS= read -r -d '' pidfile; do
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl stop -s -m immediate -D "$(dirname "$pidfile")" || true
    else /usr/lib/postgresql/15/bin/pg_ctl stop -s -m immediate -D "$(dirname "$pidfile")" || true; fi
  done < <(find "$1" -name postmaster.pid -print0 2>/dev/null)
  while IFS= read -r -d '' pidfile; do
    pid=$(head -n1 "$pidfile" 2>/dev/null) || continue
    if [ -n "$pid" ] && grep -qa pgbouncer "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done < <(find "$1" -name 'pgbouncer*.pid' -print0 2>/dev/null)
}
# the suite's output is kept so that the summary can end with the failed tests (a CI log is often read from its tail)
test_log=$(mktemp); retry_log=$(mktemp); flaky_list=$(mktemp)
trap 'rm -f "$test_log" "$retry_log" "$flaky_list"' EXIT
export test_log retry_log flaky_list
export -f run_tests stop_servers_in
step "dotnet test" run_tests "$@"

# The packages: the library (with the engine it depends on) and the `mentorstatus` .NET tool, installed from a
# local source into a throwaway tool path, as the README tells a .NET team to do.
pack_and_install() {
  pack_dir=$(mktemp -d) # each step is a bash of its own: its EXIT trap cleans up, after a failure too
  trap 'rm -rf "$pack_dir"' EXIT
  for project in src/MentorStatus.Database src/MentorStatus.Core src/MentorStatus.Cli; do
    dotnet pack "$project" -c Release --nologo -v quiet -o "$pack_dir/nupkg" >/dev/null
  done
  dotnet tool install --tool-path "$pack_dir/tools" --add-source "$pack_dir/nupkg" mentorstatus >/dev/null
  version=$("$pack_dir/tools/mentorstatus" --version)
  echo "installed mentorstatus $version"
  case "$version" in 0.*|[1-9]*) ;; *) echo "mentorstatus --version printed '$version'" >&2; return 1 ;; esac
}
export -f pack_and_install
step "dotnet pack + tool install" pack_and_install

# The migration safety check on the project's own migrations, on a throwaway cluster on a free port
# (never the local database's default port, which a `supabase start` stack or another checkout may hold).
step "db lint --all" scripts/lint-migrations.sh --throwaway

# Every benchmark case at a tiny size, to prove the bench still runs; its figures are thrown away
# (BENCHMARKS.md holds the figures of a full run on a quiet machine).
bench_ci() {
  bench_out=$(mktemp -d)
  trap 'rm -rf "$bench_out"' EXIT
  dotnet run -c Release --project bench/MentorStatus.Bench -- --size ci \
    --out "$bench_out/bench.md" --json "$bench_out/bench.json" --svg "$bench_out/bench.svg"
}
export -f bench_ci
step "bench --size ci" bench_ci

# The bench stops cleanly on SIGINT when a script ran it in the background (SIGINT ignored by inheritance).
step "bench stops on SIGINT" scripts/bench-interrupt-check.sh

echo
echo "==> summary"
printf '  %s\n' "${steps[@]}"
failures() { awk '/^[[:space:]]+Failed [A-Za-z_]/ { n = 12 } n > 0 { print; n-- }' "$1" | cut -c1-300; }
if [ -s "$flaky_list" ]; then
  echo
  echo "==> FLAKY: failed once, passed when run again alone (fix them; their first failure follows):"
  sed 's/^/  /' "$flaky_list"
  failures "$test_log"
elif grep -qE '^\s+Failed [A-Za-z_]' "$test_log"; then
  echo
  echo "==> failed tests (each with the start of its message; the whole output is above)"
  failures "$test_log"
  if [ -s "$retry_log" ]; then echo "  (run once more alone, they failed again)"; fi
fi
if [ "$failed" != 0 ]; then echo "scripts/test.sh: some steps FAILED (see above)" >&2; exit 1; fi
echo "scripts/test.sh: every step passed"
