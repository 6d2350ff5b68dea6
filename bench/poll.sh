#!/usr/bin/env bash
# Polling throughput: 1,000 machines polling GET /api/v1/instances/<uuid>/get-jobs/ every 5 s is
# 200 requests/s. Shows the headroom on this machine, what the real rate costs, and that the event
# log grows only with transitions (instance_came_online), not with polls.
#
#   bench/poll.sh                                  # defaults: ~5.5 minutes (7 on a busy machine)
#   DURATION=5 ROUNDS=1 STEADY=20 bench/poll.sh    # a quicker try, ~3 minutes
#   QUEUED=0 bench/poll.sh                         # without the job queue below
#
# Env knobs: DURATION, ROUNDS, CONNECTIONS, THREADS, WARMUP as in run.sh (10, 2, 32, 2, 5) for the
#            saturation run; INSTANCES (1000) over ACCOUNTS (10); RATE (200) requests/s held for
#            STEADY (60) s over STEADY_CONNECTIONS (20) connections in the steady run; PGBENCH
#            (1; 0 skips) the pgbench comparison of the poll's UPDATE: as sent, and behind a share lock on the stream;
#            QUEUED (10000) jobs waiting in the marketplace's queue that match no machine: half for an image no
#            instance has installed, half for the installed one at a bid below every instance's consumer price,
#            so each poll looks at the queue (through its index) and hands out nothing.
#
# It starts its own bench cluster (.local/bench-poll-pg, port 55434) and both apps as run.sh does,
# but on 127.0.0.1:5103 (API) and :5104 (baseline), so that it does not collide with run.sh or
# audit.sh in another worktree. Through the API it signs up ACCOUNTS accounts, creates INSTANCES
# instances and starts them all; the baseline gets as many rows. Then:
#   1. steady, baseline: RATE requests/s of GET /instances/<uuid>/touch (one UPDATE of the row's JSON
#      in place) for STEADY s, poll.lua pacing the sends; the CPU in cores;
#   2. transitions: the first poll of every instance (curl --parallel), timed;
#   3. saturation: wrk with bench/poll.lua cycling over all (instance, key) pairs, A/B alternated
#      with the baseline's touch; active backends sampled by wait event meanwhile;
#   4. steady, API: as 1., right after 3. (its window then holds the first round of silence checks,
#      one per instance a minute);
#   5. the event log: per-type counts of sharedcloud.mt_events before and after; the only change
#      allowed is +INSTANCES instance_came_online (the first poll of each). The presence windows are
#      the defaults (offline after 60 s): no instance is silent that long during the runs;
#   6. (PGBENCH=1) pgbench, alternated: the poll's UPDATE of the contact as the API sends it (without its
#      queue check), and behind a share lock on the stream row (the poll until session 13), straight
#      against the database.
# Report: bench/results/poll-latest.md; wrk outputs, app logs, samples: bench/results/poll-logs/.
# Everything it started is stopped at exit. See bench/README.md; shared helpers in bench/lib.sh.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # settings, cluster, build, apps, HTTP, wrk and CPU helpers

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-5}
INSTANCES=${INSTANCES:-1000}
ACCOUNTS=${ACCOUNTS:-10}
RATE=${RATE:-200}
STEADY=${STEADY:-60}
STEADY_CONNECTIONS=${STEADY_CONNECTIONS:-20}
PGBENCH=${PGBENCH:-1}
QUEUED=${QUEUED:-10000}
[[ "$QUEUED" =~ ^[0-9]+$ ]] && [ $((QUEUED % 2)) = 0 ] || { echo "$bench_name: QUEUED must be an even number" >&2; exit 2; }
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP INSTANCES ACCOUNTS RATE STEADY STEADY_CONNECTIONS
[[ "$PGBENCH" =~ ^[01]$ ]] || { echo "$bench_name: PGBENCH must be 0 or 1" >&2; exit 2; }
[ $((INSTANCES % ACCOUNTS)) = 0 ] || { echo "$bench_name: INSTANCES must be a multiple of ACCOUNTS" >&2; exit 2; }
[ "$INSTANCES" -ge "$THREADS" ] && [ "$STEADY_CONNECTIONS" -ge "$THREADS" ] \
  || { echo "$bench_name: INSTANCES and STEADY_CONNECTIONS must be at least THREADS" >&2; exit 2; }
# Each machine's poll interval at this rate; above the offline window instances would go offline.
interval=$(awk -v n="$INSTANCES" -v r="$RATE" 'BEGIN { printf "%.1f", n / r }')
awk -v i="$interval" 'BEGIN { exit !(i < 30) }' || die "INSTANCES / RATE = $interval s between polls: too close to the 60 s offline window"

# Own ports and cluster folder (see above); lib.sh's URLs follow.
pg_dir=$repo/.local/bench-poll-pg
pg_port=55434
api_port=5103
base_port=5104
api_url=http://127.0.0.1:$api_port
base_url=http://127.0.0.1:$base_port
logs=$results/poll-logs
per_account=$((INSTANCES / ACCOUNTS))
polls_per_s=$RATE # "the real rate": INSTANCES machines polling every INSTANCES / RATE seconds

bench_init
check_tools
! port_in_use "$pg_port" || die "port $pg_port is already in use on 127.0.0.1"
start_pg bench_api bench_base
build_apps
start_apps
api_psql() { psql -d bench_api "$@"; }
base_psql() { psql -d bench_base "$@"; }

# --- seed -------------------------------------------------------------------------------------
# One curl per account and kind of request, over one keep-alive connection (a curl config file with
# one block a request), the accounts in parallel.
seed_account() { # A: sign up bench-poll-A, create and start its instances; writes $logs/targets-api-A.txt
  local a=$1 key cfg out n uuid
  key=$(api_account "bench-poll-$a")
  [ -n "$key" ] || die "no key for bench-poll-$a"
  cfg=$logs/seed-$a-create.curl
  out=$logs/seed-$a-create.out
  : >"$cfg"
  for n in $(seq -w 1 "$per_account"); do
    [ ! -s "$cfg" ] || echo next >>"$cfg"
    printf 'url = "%s"\nheader = "Authorization: Token %s"\ndata = "name=poll-%s-%s&ask_price=0.02"\nwrite-out = "\\t%%{http_code}\\n"\n' \
      "$api_url/api/v1/instances/" "$key" "$a" "$n" >>"$cfg"
  done
  curl -s -K "$cfg" >"$out" || die "curl failed creating instances for bench-poll-$a"
  [ "$(awk -F'\t' '$2 == 201' "$out" | wc -l)" = "$per_account" ] || { cat "$out" >&2; die "creates for bench-poll-$a did not all answer 201"; }
  cfg=$logs/seed-$a-start.curl
  : >"$cfg"
  while read -r uuid; do
    [ ! -s "$cfg" ] || echo next >>"$cfg"
    # The image the queue's matching half waits for, then the start.
    printf 'url = "%s"\nrequest = "PATCH"\nheader = "Authorization: Token %s"\ndata = "image_registry_path=%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' \
      "$api_url/api/v1/instances/$uuid/add-image/" "$key" "$installed_image" >>"$cfg"
    printf 'url = "%s"\nrequest = "PATCH"\nheader = "Authorization: Token %s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$api_url/api/v1/instances/$uuid/start/" "$key" >>"$cfg"
    echo "/api/v1/instances/$uuid/get-jobs/ Token $key" >>"$logs/targets-api-$a.txt"
  done < <(cut -f1 "$out" | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
  [ "$(wc -l <"$logs/targets-api-$a.txt")" = "$per_account" ] || die "bench-poll-$a: $per_account instances created, uuids not found"
  curl -s -K "$cfg" >"$logs/seed-$a-start.out" || die "curl failed starting instances for bench-poll-$a"
  [ "$(grep -cx 200 "$logs/seed-$a-start.out")" = "$((2 * per_account))" ] \
    || { sort "$logs/seed-$a-start.out" | uniq -c >&2; die "starts for bench-poll-$a did not all answer 200"; }
}

installed_image=sharedcloud/web-crawling-python36:latest
log "seeding: $ACCOUNTS accounts x $per_account instances through the API, all started; $INSTANCES baseline rows"
seed_start=$(date +%s)
pids=()
for a in $(seq -w 1 "$ACCOUNTS"); do
  seed_account "$a" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || die "seeding an account failed (see above and $logs/seed-*)"
done
cat "$logs"/targets-api-*.txt >"$logs/targets-api.txt"
[ "$(sort -u "$logs/targets-api.txt" | wc -l)" = "$INSTANCES" ] || die "not $INSTANCES distinct API targets"
status_counts=$(api_psql -At -c "select count(*), count(*) filter (where data ->> 'status' = '2'),
  count(*) filter (where (data ->> 'is_online')::boolean) from sharedcloud.mt_doc_instancedetails")
read -r n_docs n_available n_online <<<"$(tr '|' ' ' <<<"$status_counts")"
[ "$n_docs" = "$INSTANCES" ] && [ "$n_available" = "$INSTANCES" ] && [ "$n_online" = 0 ] \
  || die "read model: $n_docs instances, $n_available AVAILABLE, $n_online online (expected $INSTANCES, $INSTANCES, 0)"
# The baseline: one row through its API, copied (new id and name) into the others.
first=$(base_create "$(cat /proc/sys/kernel/random/uuid)" poll-base-1)
base_psql -c "insert into bench_instances (id, owner, data)
  select g.id, b.owner, jsonb_set(jsonb_set(b.data, '{uuid}', to_jsonb(g.id::text)), '{name}', to_jsonb('poll-base-' || g.n))
  from (select gen_random_uuid() as id, n from generate_series(2, $INSTANCES) n) g, bench_instances b where b.id = '$first'"
base_psql -At -c "select '/instances/' || id || '/touch' from bench_instances order by data ->> 'name'" >"$logs/targets-baseline.txt"
[ "$(wc -l <"$logs/targets-baseline.txt")" = "$INSTANCES" ] || die "not $INSTANCES baseline rows"
echo "   seeded in $(($(date +%s) - seed_start)) s"

# The queue: QUEUED jobs that no machine matches, from one consumer credited by the operator's command.
if [ "$QUEUED" -gt 0 ]; then
  consumer_key=$(api_account bench-poll-consumer)
  (ConnectionStrings__Postgres=$(pg_url bench_api) Auth__TokenSecret=$secret Logging__LogLevel__Default=Warning \
    in_folder_of "$results/app/api/Sharedcloud.Es.Api.dll" credit --username bench-poll-consumer --amount 1000) >"$logs/credit.log" 2>&1 \
    || { cat "$logs/credit.log" >&2; die "the credit command failed"; }
  code='def handler(event):\n    return event[0]'
  queue_run() { # image bid: a run of QUEUED/2 jobs
    local function
    function=$(http 201 -X POST -H "Authorization: Token $consumer_key" "$api_url/api/v1/functions/" \
      --data-urlencode "name=queued" --data-urlencode "image=$1" --data-urlencode "code=$(printf "$code")" | json_field uuid)
    http 201 -X POST -H "Authorization: Token $consumer_key" "$api_url/api/v1/runs/" --data-urlencode "function=$function" \
      --data-urlencode "parameters=($(seq -s, 1 $((QUEUED / 2)) | sed 's/\([0-9]*\)/(\1,)/g'),)" --data-urlencode "bid_price=$2" >/dev/null
  }
  queue_run a8e496b2-ab15-40ee-a1bf-3a28d7a8a2c3 5     # python27: installed on no instance
  queue_run 24b3a0f8-c405-4928-954f-d5c93273f88a 0.02  # python36, installed everywhere, below 0.02 x 1.2
  queued=$(api_psql -At -c "select count(*) from sharedcloud.mt_doc_job where status = 1 and instance_id is null")
  [ "$queued" = "$QUEUED" ] || die "$queued queued jobs, expected $QUEUED"
  echo "   $QUEUED jobs queued that match no machine"
fi

# The event log before any poll.
events_sql="select type, count(*) from sharedcloud.mt_events group by type order by type"
api_psql -At -F$'\t' -c "$events_sql" >"$logs/events-before.tsv"
events_before=$(awk -F'\t' '{ n += $2 } END { print n + 0 }' "$logs/events-before.tsv")
echo "   mt_events before the polls: $events_before ($(awk -F'\t' '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2 }' "$logs/events-before.tsv"))"

# The baseline answers a poll with 200 and [] (the API's poll is checked right before its runs).
[ "$(http 200 "$base_url$(head -n 1 "$logs/targets-baseline.txt")")" = "[]" ] || die "the baseline's touch did not answer []"
# An account's key does not reach another account's instance (404, and no transition).
read -r check_path check_auth <<<"$(head -n 1 "$logs/targets-api.txt")"
other_key=$(sed -n '$s/.* Token //p' "$logs/targets-api.txt")
[ "$other_key" != "${check_auth#Token }" ] || die "the first and last targets have the same account"
http 404 -H "Authorization: Token $other_key" "$api_url$check_path" >/dev/null

# --- wait events: active backends of both databases, sampled while the runs go ----------------
wait_sampler_pid=""
start_wait_sampler() { # FILE: every 0.2 s, active backends of bench_api and bench_base by wait event
  ( exec "$pg_bin/psql" -X -q -A -t -F$'\t' -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres >"$1" 2>/dev/null <<'SQL'
select datname, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'), count(*)
from pg_stat_activity where datname in ('bench_api', 'bench_base') and state = 'active' group by 1, 2, 3
\watch 0.2
SQL
  ) &
  wait_sampler_pid=$! # if the script stops before stop_wait_sampler, the cluster's stop (cleanup) ends it
}
stop_wait_sampler() {
  [ -z "$wait_sampler_pid" ] || { kill "$wait_sampler_pid" 2>/dev/null || true; wait "$wait_sampler_pid" 2>/dev/null || true; }
  wait_sampler_pid=""
}
# Lock waits longer than deadlock_timeout (1 s) go to the cluster's log.
psql -d postgres -c "alter system set log_lock_waits = on" -c "select pg_reload_conf()" >/dev/null
pg_log_start=$(wc -l <"$pg_dir/postgres.log")

# --- runs -------------------------------------------------------------------------------------
percentiles() { # wrk --latency output -> "p50<TAB>p99<TAB>p90<TAB>max" in ms
  awk 'function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v ~ /m$/ ? v * 60000 : v * 1000 }
       $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Latency" && $2 != "Distribution" { max = ms($4) }
       END { printf "%.2f\t%.2f\t%.2f\t%.2f\n", p50, p99, p90, max }' "$1"
}
wrk_args() { # poll (as fast as it goes) and steady (RATE/s) over the same targets
  case "$1,$2" in
    poll,api | steady,api | first,api) args=(-s bench/poll.lua "$api_url/"); export BENCH_POLL_TARGETS=$logs/targets-api.txt ;;
    poll,baseline | steady,baseline) args=(-s bench/poll.lua "$base_url/"); export BENCH_POLL_TARGETS=$logs/targets-baseline.txt ;;
    *) die "unknown scenario $1,$2" ;;
  esac
  export BENCH_POLL_THREADS=$THREADS
  if [ "$1" = poll ]; then unset BENCH_POLL_RATE; else export BENCH_POLL_RATE=$RATE; fi
}

# The steady run of a side: RATE/s for STEADY s, paced by poll.lua. wrk's timeout (2 s by default)
# counts from a connection's last send, and a paced connection waits between its requests: a longer
# one keeps wrk from counting the waits as timeouts.
steady_run() { # side
  local saved=("${wrk_options[@]}")
  wrk_options=(--latency --timeout 10s)
  DURATION=$STEADY CONNECTIONS=$STEADY_CONNECTIONS measure steady "$1" 1
  echo -e "steady\t$1\t1\t$(percentiles "$logs/steady-$1-1.txt")" >>"$logs/latency.tsv"
  wrk_options=("${saved[@]}")
}
handled_checks() { api_psql -At -c "select count(*) from wolverine.wolverine_incoming_envelopes where status = 'Handled'"; }

echo -e "scenario\tside\tround\tp50_ms\tp99_ms\tp90_ms\tmax_ms" >"$logs/latency.tsv"
start_sampler
# The baseline's steady run first, while the API is idle (no instance online, no silence check):
# the API's steady run must follow its saturation runs closely, or its instances would go offline.
log "steady, baseline: $RATE requests/s for ${STEADY}s, -t$THREADS -c$STEADY_CONNECTIONS (after 3 s unmeasured)"
wrk_options=(--timeout 10s)
wrk_run steady baseline 3 "$logs/steady-baseline-warmup.txt"
start_wait_sampler "$logs/waits-steady-baseline.tsv"
steady_run baseline
stop_wait_sampler

# The transitions: the first poll of every instance, each to its end, CONNECTIONS at a time (curl
# --parallel). Not left to wrk's warm-up: wrk hangs up on the requests in flight when a run ends,
# and a first poll cut off in the middle of its append is rolled back, leaving a tombstone (Marten's
# placeholder for the lost sequence number) in mt_events. The runs below are then all plain polls.
log "transitions: the first poll of each of the $INSTANCES instances (curl, $CONNECTIONS at a time)"
awk -v url="$api_url" '{ path = $1; $1 = ""; sub(/^ /, "")
    printf "%surl = \"%s%s\"\nheader = \"Authorization: %s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n",
      (NR > 1 ? "next\n" : ""), url, path, $0 }' "$logs/targets-api.txt" >"$logs/transitions.curl"
transitions_start=$(date +%s.%N)
curl -s --parallel --parallel-max "$CONNECTIONS" -K "$logs/transitions.curl" >"$logs/transitions.out" 2>/dev/null || true
transitions_secs=$(awk -v a="$transitions_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$(grep -cx 200 "$logs/transitions.out")" = "$INSTANCES" ] \
  || { sort "$logs/transitions.out" | uniq -c >&2; die "the first polls did not all answer 200"; }
online_after_transitions=$(api_psql -At -c "select count(*) from sharedcloud.mt_doc_instancedetails where (data ->> 'is_online')::boolean")
[ "$online_after_transitions" = "$INSTANCES" ] || die "$online_after_transitions of $INSTANCES instances online after their first poll"
transitions_line=$(awk -v n="$INSTANCES" -v s="$transitions_secs" -v c="$CONNECTIONS" \
  'BEGIN { printf "the %d first polls (transitions to online: append, inline projection, a scheduled silence check) took %.1f s, %.0f/s, %d at a time", n, s, n / s, c }')
echo "   $transitions_line"
# The API answers a poll with 200 and [].
[ "$(http 200 -H "Authorization: $check_auth" "$api_url$check_path")" = "[]" ] || die "the API's get-jobs did not answer []"
start_wait_sampler "$logs/waits-poll.tsv"
wrk_options=(--latency)
run_scenario poll
stop_wait_sampler
for round in $(seq "$ROUNDS"); do
  for side in baseline api; do
    echo -e "poll\t$side\t$round\t$(percentiles "$logs/poll-$side-$round.txt")" >>"$logs/latency.tsv"
  done
done

# --- the first silence check: a one-off, kept out of the steady run ------------------------------
# The first silence check, due 60 s (Presence:OfflineAfter) after the first transition, is the first
# message Wolverine handles in the process: it cost a stall and memory once per process while Wolverine
# compiled its handler code at run time (the handlers are pre-generated now; this shows that they are). The API is polled at RATE/s until it has run, unless the saturation runs outlasted it.
first_check_line=""
if [ "$(handled_checks)" = 0 ]; then
  log "the first silence check: polling at $RATE/s until it has run (unmeasured in the steady table)"
  rss_before=$(mem_kb "$api_pid" VmRSS)
  wrk_options=(--latency --timeout 10s)
  chunk=1
  secs=$(awk -v t="$transitions_start" -v now="$(date +%s.%N)" 'BEGIN { s = int(t + 70 - now); print s < 5 ? 5 : s }')
  while true; do
    CONNECTIONS=$STEADY_CONNECTIONS wrk_run first api "$secs" "$logs/first-api-$chunk.txt"
    echo -e "first\tapi\t$chunk\t$(percentiles "$logs/first-api-$chunk.txt")" >>"$logs/latency.tsv"
    [ "$(handled_checks)" = 0 ] && [ "$chunk" -lt 8 ] || break
    chunk=$((chunk + 1)) secs=5
  done
  rss_after=$(mem_kb "$api_pid" VmRSS)
  first_check_line=$(awk -F'\t' -v n="$(handled_checks)" -v t="$transitions_start" -v now="$(date +%s.%N)" -v rate="$RATE" \
      -v a="$rss_before" -v b="$rss_after" '$1 == "first" { if ($5 > p99) p99 = $5; if ($7 > max) max = $7 }
    END {
      if (n == 0) { print "the first silence check had not run " int(now - t) " s after the first transition"; exit }
      printf "polled at %d/s until it had run (%.0f s after the first transition), the API answered with p99 %.0f ms and max %.2f s, and its RSS went from %.0f to %.0f MB",
        rate, now - t, p99, max / 1000, a / 1024, b / 1024 }' "$logs/latency.tsv")
  echo "   $first_check_line"
else
  first_check_line="it ran during the saturation runs, whose API figures include it"
fi

log "steady, API: $RATE requests/s for ${STEADY}s, -t$THREADS -c$STEADY_CONNECTIONS"
handled_before=$(handled_checks)
start_wait_sampler "$logs/waits-steady-api.tsv"
steady_run api
stop_wait_sampler
checks_during_steady=$(($(handled_checks) - handled_before))
echo "   silence checks that ran during it: $checks_during_steady"
stop_sampler

# --- the event log ----------------------------------------------------------------------------
api_psql -At -F$'\t' -c "$events_sql" >"$logs/events-after.tsv"
events_after=$(awk -F'\t' '{ n += $2 } END { print n + 0 }' "$logs/events-after.tsv")
# Every poll the API answered: the check, the first polls, the warm-up, the measured and the steady runs.
# (No first-api-* files when the first silence check ran during the saturation runs: cat's failure is no error.)
api_polls=$({ cat "$logs"/poll-api-*.txt "$logs"/steady-api-*.txt "$logs"/first-api-*.txt 2>/dev/null || true; } | awk -v first="$INSTANCES" '/requests in/ { n += $1 } END { print n + first + 1 }')
events_table=$(awk -F'\t' 'FNR == NR { before[$1] = $2; types[$1] = 1; next } { after[$1] = $2; types[$1] = 1 }
  END { for (t in types) printf "| `%s` | %d | %d | %+d |\n", t, before[t], after[t], after[t] - before[t] }' \
  "$logs/events-before.tsv" "$logs/events-after.tsv" | sort)
added_online=$(awk -F'\t' -v t=instance_came_online 'FNR == NR { if ($1 == t) b = $2; next } $1 == t { a = $2 } END { print a - b }' \
  "$logs/events-before.tsv" "$logs/events-after.tsv")
tombstones=$(awk -F'\t' '$1 == "tombstone" { n = $2 } END { print n + 0 }' "$logs/events-after.tsv")
online_now=$(api_psql -At -c "select count(*) from sharedcloud.mt_doc_instancedetails where (data ->> 'is_online')::boolean")
if [ $((events_after - events_before)) = "$INSTANCES" ] && [ "$added_online" = "$INSTANCES" ] && [ "$online_now" = "$INSTANCES" ]; then
  events_verdict="PASS: $api_polls polls added exactly $INSTANCES events, all \`instance_came_online\` (the first poll of each instance); all $INSTANCES instances are online"
else
  events_verdict="FAIL: $api_polls polls added $((events_after - events_before)) events ($added_online \`instance_came_online\`; $INSTANCES expected, and nothing else); $online_now of $INSTANCES instances online"
fi
log "event log: $events_before -> $events_after; $events_verdict"
# Wolverine's incoming envelopes by status: Scheduled = the pending silence checks; Handled = checks
# that ran (kept a while after handling), when the runs lasted past the first checks (60 s).
envelopes=$(api_psql -At -F' ' -c "select status, count(*) from wolverine.wolverine_incoming_envelopes group by 1 order by 1" 2>/dev/null \
  | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' || true)
# How Wolverine ran the checks: due scheduled messages are taken in batches every few seconds.
# (keep_until = handling time + a constant retention, so its spread is the handling times'.)
check_batches=$(api_psql -At -F' ' -c "with h as (select keep_until from wolverine.wolverine_incoming_envelopes where status = 'Handled'),
    b as (select date_trunc('second', keep_until) as s, count(*) as n from h group by 1),
    f as (select keep_until from h order by keep_until limit $INSTANCES)
  select (select count(*) from h), (select count(*) from b), (select max(n) from b),
    (select round(extract(epoch from max(keep_until) - min(keep_until))) from f)" 2>/dev/null \
  | awk -v n="$INSTANCES" -v due="$transitions_secs" '$1 > 0 {
    printf "%d ran, in %d batches of at most %d; the first %d, all due within %.0f s (the transitions), ran over %d s",
      $1, $2, $3, ($1 < n ? $1 : n), due, $4 }' || true)
# The polled tables after hundreds of thousands of in-place updates: HOT share, dead rows, size.
table_stats() { # database table -> one line
  psql -d "$1" -At -F' ' -c "select n_tup_upd, n_tup_hot_upd, n_dead_tup, n_live_tup, pg_total_relation_size(relid) / 1024
    from pg_stat_user_tables where relname = '$2'" | awk -v t="$2" '{
    printf "`%s`: %d updates, %.0f %% HOT, %d dead / %d live rows, %d kB with indexes", t, $1, $1 ? 100 * $2 / $1 : 0, $3, $4, $5 }'
}
sleep 1 # backends report their table statistics within a second
tables_line="$(table_stats bench_api mt_doc_instancedetails); $(table_stats bench_base bench_instances)"
streams_line=$(table_stats bench_api mt_streams)
lock_waits=$(tail -n +"$((pg_log_start + 1))" "$pg_dir/postgres.log" | grep -c 'still waiting for' || true)
# Anything that failed in the API meanwhile (a silence check that throws goes to the dead letters).
api_failures=$(grep -c '^fail:' "$logs/api.log" || true)
dead_letters=$(api_psql -At -c "select count(*) from wolverine.wolverine_dead_letters" 2>/dev/null || echo '?')

# --- the poll's SQL, straight against the database (pgbench) ----------------------------------
# Three variants, alternated: the UPDATE of the contact as RefreshSql sends it, without its queue
# check (the table's keep_last_contact trigger evaluates its WHEN); the API's whole statement, taken
# from PostgreSQL's statement log of one poll; and the UPDATE behind a share lock on the stream row,
# as the poll took it until session 13 (the job counters' updates still do). -M prepared: as the
# API's pool prepares repeated statements (Max Auto Prepare). The contact time is a parameter
# in the API's format ("O"), set at the start of each run: the silence checks must still read it.
sql_table=""
if [ "$PGBENCH" = 1 ]; then
  # The API's own statement, as it sends it: one poll with PostgreSQL's statement log on.
  log_from=$(wc -l <"$pg_dir/postgres.log")
  psql -d postgres -c "alter system set log_min_duration_statement = 0" -c "select pg_reload_conf()" >/dev/null
  sleep 0.5
  http 200 -H "Authorization: $check_auth" "$api_url$check_path" >/dev/null
  sleep 0.5
  psql -d postgres -c "alter system reset log_min_duration_statement" -c "select pg_reload_conf()" >/dev/null
  api_statement=$(tail -n +"$((log_from + 1))" "$pg_dir/postgres.log" \
    | grep -E 'execute [^:]*: update sharedcloud\.mt_doc_instancedetails d set data' | tail -n 1 | sed -E 's/.*execute [^:]*: //')
  [ -n "$api_statement" ] || die "the poll's statement is not in the statement log"
  # Both apps stop first: the API's silence checks (a burst of ~INSTANCES a minute) would otherwise
  # land in the cluster's CPU of whichever pgbench run they overlap.
  kill "$api_pid" "$base_pid" 2>/dev/null || true
  wait "$api_pid" "$base_pid" 2>/dev/null || true
  api_pid="" base_pid=""
  log "the poll's SQL: pgbench, the UPDATE / the API's statement / the UPDATE behind a share lock, $ROUNDS x ${DURATION}s each, -c$CONNECTIONS"
  api_psql -c "drop table if exists public.poll_targets" -c "create table public.poll_targets as
    select row_number() over (order by id) as n, id, account__id as account from sharedcloud.mt_doc_instancedetails" \
    -c "alter table public.poll_targets add primary key (n)"
  pick='\set n random(1, '"$INSTANCES"')
select id, account from public.poll_targets where n = :n \gset'
  set_last='set data = jsonb_set(d.data, '"'"'{last_connection}'"'"', to_jsonb(:at::text))'
  refresh="with s as (select id from sharedcloud.mt_streams where id = :id::uuid for share) update sharedcloud.mt_doc_instancedetails d $set_last from s where d.id = s.id and d.account__id = :account::uuid returning (d.data ->> 'is_online')::boolean;"
  printf '%s\n%s\n' "$pick" "update sharedcloud.mt_doc_instancedetails d $set_last where d.id = :id::uuid and d.account__id = :account::uuid returning (d.data ->> 'is_online')::boolean;" \
    >"$logs/pgbench-bare.sql"
  printf '%s\n%s\n' "$pick" "$refresh" >"$logs/pgbench-lock.sql"
  api_statement=${api_statement//\$1/:id::uuid}; api_statement=${api_statement//\$2/:at}; api_statement=${api_statement//\$3/:account::uuid}
  printf '%s\n%s;\n' "$pick" "$api_statement" >"$logs/pgbench-api.sql"
  echo -e "variant\tround\ttps\tpg_ms_per_tx\tpgbench_ms_per_tx\tother_cores\tfailed" >"$logs/pgbench.tsv"
  # pgbench's backends end with its run. One that exits while pg_ticks reads counts in neither the
  # live children nor the postmaster's reaped ones: the cluster's CPU is read once they are gone.
  pgbench_gone() {
    local i
    for i in $(seq 50); do
      [ "$(psql -d postgres -At -c "select count(*) from pg_stat_activity where application_name = 'pgbench'")" = 0 ] && break
      sleep 0.2
    done
    sleep 0.5
  }
  pgbench_run() { # variant round
    local out=$logs/pgbench-$1-$2.txt pg0 pg1 busy0 busy1 TIMEFORMAT="%3U %3S"
    pgbench_gone
    pg0=$(pg_ticks); busy0=$(busy_ticks)
    { time "$pg_bin/pgbench" -n -M prepared -h 127.0.0.1 -p "$pg_port" -U postgres -c "$CONNECTIONS" -j "$THREADS" \
        -T "$DURATION" -D "at=$(date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00)" -f "$logs/pgbench-$1.sql" bench_api >"$out" 2>&1; } 2>"$out.time" \
      || { cat "$out" >&2; die "pgbench failed"; }
    pgbench_gone
    pg1=$(pg_ticks); busy1=$(busy_ticks)
    awk -v v="$1" -v r="$2" -v hz="$clk_tck" -v secs="$DURATION" -v p=$((pg1 - pg0)) -v busy=$((busy1 - busy0)) \
        -v t="$(cat "$out.time")" '
      /number of transactions actually processed/ { split($0, a, ": "); n = a[2] + 0 }
      /number of failed transactions/ { failed = $5 + 0 }
      /^tps = / { tps = $3 }
      END {
        split(t, c, " "); w = (c[1] + c[2]) * hz; other = (busy - p - w) / hz / secs
        printf "%s\t%s\t%.0f\t%.3f\t%.3f\t%.2f\t%d\n", v, r, tps, n ? p * 1000 / hz / n : 0, n ? w * 1000 / hz / n : 0, other < 0 ? 0 : other, failed
      }' "$out" | tee -a "$logs/pgbench.tsv" | awk -F'\t' '{
        printf "   %-5s round %s: %6d tx/s; CPU ms/tx pg %.3f, pgbench %.3f; other load %.2f cores; failed %d\n", $1, $2, $3, $4, $5, $6, $7 }'
  }
  pgbench_run bare warmup >/dev/null
  for round in $(seq "$ROUNDS"); do
    for variant in bare api lock; do
      pgbench_run "$variant" "$round"
    done
  done
  sql_table=$(awk -F'\t' 'NR > 1 && $2 != "warmup" {
      n[$1]++; tps[$1] += $3; pg[$1] += $4; if ($6 > other) other = $6; failed += $7
      runs[$1] = runs[$1] (runs[$1] == "" ? "" : ", ") $3
    }
    END {
      what["bare"] = "the UPDATE of the contact alone (as the API sends it, without the queue check)"
      what["api"] = "the statement the API sends, from the statement log (the UPDATE and the queue check)"
      what["lock"] = "the UPDATE alone behind a share lock on the stream row (the poll until session 13)"
      print "| variant | tx/s | pg CPU ms per tx | tx/s ratio | pg CPU ratio | runs |"
      print "| --- | ---: | ---: | ---: | ---: | --- |"
      split("bare api lock", vs, " ")
      for (i = 1; i <= 3; i++) { v = vs[i]
        t = tps[v] / n[v]; c = pg[v] / n[v]
        printf "| %s | %.0f | %.3f | %.2f | %.2f | %s |\n", what[v], t, c, t / (tps["bare"] / n["bare"]), c / (pg["bare"] / n["bare"]), runs[v]
      }
      printf "\nOther load up to %.2f cores during these runs; %d failed transactions.\n", other, failed
    }' "$logs/pgbench.tsv")
fi

# --- report -----------------------------------------------------------------------------------
waits_table() { # FILE... : share of the sampled active backends per database and wait event
  awk -F'\t' 'NF == 4 { k = $1 "\t" $2 ":" $3; n[k] += $4; total[$1] += $4 }
    END {
      for (k in n) { split(k, p, "\t"); printf "%s\t%s\t%d\t%.1f\n", p[1], p[2], n[k], 100 * n[k] / total[p[1]] }
    }' "$@" | sort -t$'\t' -k1,1 -k3,3nr | awk -F'\t' '
      BEGIN { print "| database | wait event (CPU = running) | samples | share |"; print "| --- | --- | ---: | ---: |" }
      { if (seen[$1]++ < 8) printf "| %s | %s | %d | %.1f %% |\n", $1, $2, $3, $4 }'
}
report=$results/poll-latest.md
{
  echo "# bench/poll.sh results"
  echo
  commit_line
  echo "$(nproc) cores; $INSTANCES instances over $ACCOUNTS accounts, all started (AVAILABLE); presence windows at their"
  echo "defaults (offline after 60 s, NOT_AVAILABLE after 10 min): at $RATE polls/s each instance is polled every $interval s,"
  echo "and no instance is silent for 60 s during the runs."
  echo
  echo "## Saturation: \`GET /api/v1/instances/<uuid>/get-jobs/\` against the baseline's \`GET /instances/<uuid>/touch\`"
  echo
  echo "wrk -t$THREADS -c$CONNECTIONS --latency, bench/poll.lua cycling over the $INSTANCES instances (each request with its"
  echo "account's key), ${DURATION}s runs, $ROUNDS rounds A/B alternated after a ${WARMUP}s warm-up; every instance is online"
  echo "already (its first poll came before), so all are plain polls. Headroom = API polls/s / $polls_per_s (the load of $INSTANCES"
  echo "machines polling every $interval s)."
  echo
  echo "| scenario | baseline req/s | API req/s | API / baseline | baseline p50 / p99 ms | API p50 / p99 ms | headroom | notes | runs (baseline; API) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  awk -F'\t' -v rate="$polls_per_s" '
    FILENAME ~ /latency/ && $1 == "poll" { p50[$2] += $4; p99[$2] += $5; m[$2]++; next }
    FILENAME ~ /runs/ && $1 == "poll" {
      n[$2]++; sum[$2] += $4; bad[$2] += $6; sock[$2] += $7; if ($11 > other) other = $11
      runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
    }
    END {
      b = sum["baseline"] / n["baseline"]; a = sum["api"] / n["api"]; notes = ""
      if (other > 0.2) notes = sprintf("noisy: other load up to %.1f cores", other)
      if (sock["api"] + sock["baseline"])
        notes = notes (notes == "" ? "" : "; ") sprintf("socket errors: API %d, baseline %d", sock["api"], sock["baseline"])
      if (bad["api"] + bad["baseline"]) notes = sprintf("INVALID: non-2xx responses (API %d, baseline %d)", bad["api"], bad["baseline"])
      printf "| poll | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %.1f x | %s | %s; %s |\n", b, a, b ? a / b : 0,
        p50["baseline"] / m["baseline"], p99["baseline"] / m["baseline"], p50["api"] / m["api"], p99["api"] / m["api"],
        a / rate, notes, runs["baseline"], runs["api"]
    }' "$logs/latency.tsv" "$runs"
  echo
  echo "CPU per request in ms (app = the .NET process, pg = the bench cluster; see bench/README.md):"
  echo
  cpu_table poll
  echo
  echo "## Steady: $RATE polls/s for ${STEADY}s (what $INSTANCES machines cost)"
  echo
  echo "wrk -t$THREADS -c$STEADY_CONNECTIONS, bench/poll.lua pacing the sends to $RATE/s (evenly spaced, without coordinated-omission"
  echo "correction: a latency is measured from its request's send). Cores = CPU seconds per second of the run."
  echo "The baseline's run comes first, while the API is idle; the API's after its saturation runs and its first silence check;"
  echo "$checks_during_steady silence checks ran in its window (Wolverine; $INSTANCES online machines make $INSTANCES a minute, here in"
  echo "batches, as all came online within seconds): its cores are the polls' and the checks'."
  echo
  echo "The first silence check after start-up (Wolverine's first message in the process; its handler code is pre-generated) is a one-off"
  echo "kept out of this table: $first_check_line."
  echo
  echo "| side | achieved req/s | p50 / p90 / p99 / max ms | app cores | pg cores | app + pg cores | wrk cores | other load | notes |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' '
    FILENAME ~ /latency/ && $1 == "steady" { p50[$2] = $4; p99[$2] = $5; p90[$2] = $6; max[$2] = $7; next }
    FILENAME ~ /runs/ && $1 == "steady" {
      rps[$2] = $4; app[$2] = $8 * $4 / 1000; pg[$2] = $9 * $4 / 1000; wrk[$2] = $10 * $4 / 1000; other[$2] = $11
      notes[$2] = ($6 ? sprintf("INVALID: %d non-2xx", $6) : "") ($7 ? sprintf(" %d socket errors", $7) : "")
    }
    END {
      split("baseline api", sides, " ")
      for (i = 1; i <= 2; i++) { s = sides[i]
        printf "| %s | %.1f | %.2f / %.2f / %.2f / %.0f | %.3f | %.3f | %.3f | %.3f | %.2f | %s |\n", s == "api" ? "API" : s, rps[s], p50[s], p90[s], p99[s], max[s],
          app[s], pg[s], app[s] + pg[s], wrk[s], other[s], notes[s]
      }
    }' "$logs/latency.tsv" "$runs"
  awk -F'\t' -v hwm="$api_hwm_kb" 'NR > 1 && $2 > peak { peak = $2 }
    END { printf "\nAPI peak RSS during the runs %.0f MB (VmHWM %.0f MB, seeding included).\n", peak / 1024, hwm / 1024 }' "$mem_log"
  echo
  echo "## The event log"
  echo
  echo "\`select type, count(*) from sharedcloud.mt_events group by type\`, after seeding (before the first poll) and after the runs:"
  echo
  echo "| type | before | after | added |"
  echo "| --- | ---: | ---: | ---: |"
  echo "$events_table"
  echo "| total | $events_before | $events_after | $(printf '%+d' $((events_after - events_before))) |"
  echo
  echo "**$events_verdict.**"
  echo
  echo "- Transitions: $transitions_line."
  [ "$tombstones" = 0 ] || echo "- \`tombstone\` rows are Marten's placeholders for the sequence numbers of appends that were rolled back (e.g. a first poll whose client hung up in the middle): no domain event, but rows in mt_events."
  echo "- Wolverine's incoming envelopes (the silence checks) after the runs, by status: ${envelopes:-none}."
  [ -z "$check_batches" ] || echo "- Silence checks: $check_batches."
  echo "- $tables_line."
  echo "- $streams_line (the polls no longer lock them; the pgbench variant with the share lock writes their headers, not new versions)."
  echo "- Lock waits over 1 s (\`log_lock_waits\`) in the cluster's log during the runs: $lock_waits."
  echo "- Errors: $api_failures \`fail:\` entries in the API's log, $dead_letters messages in Wolverine's dead letters (after the runs)."
  echo
  echo "## Where the backends waited"
  echo
  echo "Active backends of each database sampled every 0.2 s (\`pg_stat_activity\`); saturation runs (both sides and their warm-ups):"
  echo
  waits_table "$logs/waits-poll.tsv"
  echo
  echo "Steady runs:"
  echo
  waits_table "$logs/waits-steady-baseline.tsv" "$logs/waits-steady-api.tsv"
  if [ -n "$sql_table" ]; then
    echo
    echo "## The poll's SQL alone (pgbench)"
    echo
    echo "pgbench -M prepared -c$CONNECTIONS -j$THREADS against bench_api, ${DURATION}s runs, $ROUNDS rounds of the three variants"
    echo "alternated. A transaction is a random instance's id and account (one indexed select, the same in all),"
    echo "then the variant's statement (\`${logs#"$repo"/}/pgbench-*.sql\`). The API's statement over the UPDATE alone is"
    echo "the ceiling of the poll's ratio that the database sets, whatever the application does."
    echo
    echo "$sql_table"
  fi
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; wrk outputs, app logs and samples in ${logs#"$repo"/}/)"
