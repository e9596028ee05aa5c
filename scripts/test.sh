#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need when it is missing
# (PostgreSQL 15 and pgTAP from Debian, the Supabase CLI from npm), then the xunit suite, which starts
# its own PostgreSQL 15 and runs the pgTAP files too.
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

echo "==> dotnet test"
dotnet test MentorStatus.slnx -c Release --nologo "$@"

# The packages: the library (with the engine it depends on) and the `mentorstatus` .NET tool, installed from a
# local source into a throwaway tool path, as the README tells a .NET team to do.
echo "==> dotnet pack + dotnet tool install mentorstatus"
pack_dir=$(mktemp -d)
for project in src/MentorStatus.Database src/MentorStatus.Core src/MentorStatus.Cli; do
  dotnet pack "$project" -c Release --nologo -v quiet -o "$pack_dir/nupkg" >/dev/null
done
dotnet tool install --tool-path "$pack_dir/tools" --add-source "$pack_dir/nupkg" mentorstatus >/dev/null
version=$("$pack_dir/tools/mentorstatus" --version)
echo "installed mentorstatus $version"
case "$version" in 0.*|[1-9]*) ;; *) echo "mentorstatus --version printed '$version'" >&2; exit 1 ;; esac
rm -rf "$pack_dir"

# The migration safety check on the project's own migrations, on a throwaway cluster on a free port
# (never the local database's default port, which a `supabase start` stack or another checkout may hold).
echo "==> db lint --all"
scripts/lint-migrations.sh --throwaway

# Every benchmark case at a tiny size, to prove the bench still runs; its figures are thrown away
# (BENCHMARKS.md holds the figures of a full run on a quiet machine).
echo "==> bench --size ci"
bench_out=$(mktemp -d)
dotnet run -c Release --project bench/MentorStatus.Bench -- --size ci \
  --out "$bench_out/bench.md" --json "$bench_out/bench.json" --svg "$bench_out/bench.svg"
rm -rf "$bench_out"

# The bench stops cleanly on SIGINT when a script ran it in the background (SIGINT ignored by inheritance).
echo "==> bench stops on SIGINT"
scripts/bench-interrupt-check.sh
