#!/usr/bin/env bash
# Lints every migration of supabase/migrations (`db lint --all`): each is replayed on a throwaway
# database on the project's local PostgreSQL 15 (started on demand), or on MENTORSTATUS_DB_URL
# (the user needs CREATEDB). Exit code 1 when an error-level finding remains, 2 when the lint could not run.
# Under GitHub Actions the findings are printed as ::error annotations.
#   scripts/lint-migrations.sh                       # text report
#   scripts/lint-migrations.sh --throwaway           # on a throwaway cluster on a free port, deleted afterwards
#   scripts/lint-migrations.sh --format sarif        # any other `db lint` option passes through
#   scripts/lint-migrations.sh --port 54330          # local cluster on another port
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
args=(--workdir "$here" db lint --all)
if [[ " $* " != *" --format "* ]]; then
    if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then args+=(--format github); else args+=(--format text); fi
fi
# Global options (--port, --db-url) go before the verb; everything else after it.
global=()
rest=()
throwaway=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port|--db-url) global+=("$1" "$2"); shift 2 ;;
        --throwaway) throwaway=1; shift ;;
        *) rest+=("$1"); shift ;;
    esac
done

if [[ "$throwaway" == 1 ]]; then
    # A PostgreSQL 15 of its own on a port the kernel says is free: never the local cluster's default port, which a
    # `supabase start` stack or another checkout may hold. initdb/pg_ctl refuse root: run them as postgres.
    # Closed like every cluster of the project: no trust, a random password (in a 0600 file for initdb, then only in
    # MENTORSTATUS_DB_URL, never on a command line), the folder 0700 and the postgres OS user's.
    bin=/usr/lib/postgresql/15/bin
    dir=$(mktemp -d /tmp/mentorstatus-lint-XXXXXXXXXXXX)
    chmod 700 "$dir"
    as_pg() { if [[ "$(id -u)" == 0 ]]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    (umask 077; printf '%s\n' "$password" > "$dir/pwfile")
    if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$dir"; fi
    cleanup() { as_pg "$bin/pg_ctl -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$dir"; }
    trap cleanup EXIT
    as_pg "$bin/initdb -D '$dir/data' -U postgres --auth=scram-sha-256 --pwfile='$dir/pwfile' -E UTF8 --no-sync" >/dev/null
    rm -f "$dir/pwfile"
    started=0
    for _ in 1 2 3; do
        # the kernel picks, or a port of MENTORSTATUS_TEST_PORTS (LOW-HIGH) when set, as the tests and the bench do
        port=$(python3 - "${MENTORSTATUS_TEST_PORTS:-}" <<'PY'
import random, socket, sys
spec = sys.argv[1].strip()
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return s.getsockname()[1]
    except OSError:
        return None
    finally:
        s.close()
if not spec:
    print(free(0)); sys.exit(0)
try:
    low, high = (int(x) for x in spec.split("-"))
    assert 1024 <= low <= high <= 65535
except Exception:
    sys.exit(f'MENTORSTATUS_TEST_PORTS must be a port range LOW-HIGH between 1024 and 65535, got "{spec}" (e.g. 20000-20999)')
ports = list(range(low, high + 1)); random.shuffle(ports)
for p in ports:
    if free(p): print(p); sys.exit(0)
sys.exit(f"no free port in MENTORSTATUS_TEST_PORTS={spec}")
PY
) || exit 2
        if as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/postgres.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 -c fsync=off\" start" >/dev/null; then
            started=1; break
        fi
    done
    if [[ "$started" != 1 ]]; then echo "could not start a throwaway PostgreSQL 15 (see $dir/postgres.log)" >&2; cat "$dir/postgres.log" >&2; exit 2; fi
    echo "==> db lint on a throwaway cluster at 127.0.0.1:$port" >&2
    export MENTORSTATUS_DB_URL="postgresql://postgres:$password@127.0.0.1:$port/postgres"
fi
status=0
"$here/ms" "${global[@]}" "${args[@]}" "${rest[@]}" || status=$?
exit "$status"
