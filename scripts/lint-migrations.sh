#!/usr/bin/env bash
# Lints every migration of supabase/migrations (`db lint --all`): each is replayed on a throwaway
# database on the project's local PostgreSQL 15 (started on demand), or on MENTORSTATUS_DB_URL
# (the user needs CREATEDB). Exit code 1 when an error-level finding remains.
# Under GitHub Actions the findings are printed as ::error annotations.
#   scripts/lint-migrations.sh                       # text report
#   scripts/lint-migrations.sh --format json         # any other `db lint` option passes through
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
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port|--db-url) global+=("$1" "$2"); shift 2 ;;
        *) rest+=("$1"); shift ;;
    esac
done
exec "$here/ms" "${global[@]}" "${args[@]}" "${rest[@]}"
