#!/usr/bin/env bash
# Issue 13 round 5: server-side cost of timeline read designs, measured as the bench measures them (each read its own
# transaction: role and claims first, then EXPLAIN (ANALYZE, TIMING OFF); "Execution Time", planning excluded), with
# the designs shuffled per mentor and every mentor read before, so that all find the same pages cached.
#
#   bench/sql/timeline_per_transaction.sh URL [designs] [mentors] [seed]
#
# URL: a kept full-size bench cluster (`--size full --cases timeline --runs 1 --keep`) with
# bench/sql/timeline_check_designs.sql installed. designs (comma-separated): svc (service_role's statement, the floor),
# fn (mentor_status_private.mentor_timeline, the repository's path), or a scratch design: a function
# (tl_fn_acc) or a view read with its GUC parameters (tl_view_*). Prints p50/p90/p99 per design and p50 ÷ svc's p50.
set -euo pipefail
url=${1:?usage: $0 URL [designs] [mentors] [seed]}
designs=${2:-svc,fn,tl_fn_acc,tl_view_gate,tl_view_acc}
mentors=${3:-1200}
RANDOM=${4:-1}
cols="id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id"
IFS=, read -ra all <<< "$designs"
script=$(mktemp) samples=$(mktemp)
trap 'rm -f "$script" "$samples"' EXIT
for ((i = 0; i < mentors; i++)); do
    m=$((1001 + RANDOM % 200))                          # mentors of chapters 1..200 (chapter = n mod 1000), 200 of them
    mid=$(printf '00000000-0000-4000-b004-%012x' "$m")
    cid=$(printf '00000000-0000-4000-b005-%012x' $((m % 1000)))  # the coordinator of the mentor's chapter
    printf 'begin;\nset local role service_role;\nselect %s from public.peer_mentor_status_history where mentor_id = %s order by changed_at desc, id desc limit 51;\ncommit;\n' \
        "$cols" "'$mid'" >> "$script"                   # warm: every design finds the pages cached
    for d in $(printf '%s\n' "${all[@]}" | shuf --random-source=<(yes "$i")); do
        echo "begin;" >> "$script"
        case $d in
            svc) echo "set local role service_role;" >> "$script"
                 q="select $cols from public.peer_mentor_status_history where mentor_id = '$mid' and (null::timestamptz is null or (changed_at, id) < (null::timestamptz, null::uuid)) order by changed_at desc, id desc limit 51" ;;
            *) printf "set local role authenticated;\nselect set_config('request.jwt.claims', '{\"sub\":\"%s\",\"role\":\"authenticated\"}', true);\n" "$cid" >> "$script"
               case $d in
                   fn) q="select $cols from mentor_status_private.mentor_timeline('$mid', null, null, 51)" ;;
                   tl_fn_*) q="select $cols from mentor_status_private.$d('$mid', null, null, 51)" ;;
                   tl_view_*) echo "select set_config('mentor_status.timeline_mentor_id', '$mid', true), set_config('mentor_status.timeline_limit', '51', true);" >> "$script"
                              q="select $cols from mentor_status_private.$d" ;;
                   *) echo "unknown design: $d" >&2; exit 2 ;;
               esac ;;
        esac
        printf '\\echo design %s\nexplain (analyze, timing off, format json) %s;\ncommit;\n' "$d" "$q" >> "$script"
    done
done
psql "$url" -qAt -v ON_ERROR_STOP=1 -f "$script" | awk '/^design /{d=$2} /"Execution Time"/{gsub(/[^0-9.]/, ""); print d, $0 * 1000}' > "$samples"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $mentors mentors; µs, server-side (EXPLAIN ANALYZE execution time)"
svc50=$(awk '$1 == "svc" {print $2}' "$samples" | sort -n | awk '{a[NR] = $1} END {print a[int(NR * 0.5) + 1]}')
for d in "${all[@]}"; do
    awk -v d="$d" '$1 == d {print $2}' "$samples" | sort -n |
        awk -v d="$d" -v s="${svc50:-0}" '{a[NR] = $1} END {p50 = a[int(NR * .5) + 1]; printf "%-14s n=%d  p50 %6.1f  p90 %6.1f  p99 %7.1f  p50 ÷ svc %s\n", d, NR, p50, a[int(NR * .9) + 1], a[int(NR * .99) + 1], (s > 0 ? sprintf("%.2f×", p50 / s) : "—")}'
done
