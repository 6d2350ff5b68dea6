#!/usr/bin/env bash
# The job marketplace's hot paths: the provider's job reports against a bare UPDATE, and the dispatch drain.
#
#   bench/jobs.sh                               # defaults, ~4 minutes
#   DURATION=5 ROUNDS=1 bench/jobs.sh           # a quicker try
#
# Env knobs: DURATION ROUNDS CONNECTIONS THREADS WARMUP   the report scenario's wrk runs, as bench/run.sh (8, 2, 32, 2, 3)
#            PROVIDERS (4) accounts with MACHINES (5) instances each; CONSUMERS (4) accounts, credited by the
#            operator's `credit` command, each with one function per part
#            REPORT_JOBS (30000) jobs assigned before the report scenario (it must not run out: see below)
#            JOBS (2000) jobs queued for the drain, PARALLEL (4) jobs at once per machine there; TIMEOUT (600) s
#            PGBENCH (1) replay the report's own SQL with pgbench at the end (0: skip it)
#            API_APP   a build folder holding Sharedcloud.Es.Api.dll to measure instead of this build (an earlier commit's)
#
# It starts its own cluster (.local/bench-jobs-pg, port 55435), the API on 127.0.0.1:5106 and the baseline on :5107,
# and a second API process on :5108 for the drain. Then:
#   1. report: every instance (python36 image installed, started) is given enough capacity and polled once, which
#      assigns the REPORT_JOBS jobs; wrk (bench/report.lua) reports them, each job IN_PROGRESS and later SUCCEEDED
#      (billed: the consumer charged, the provider paid, the fee kept), A/B alternated with the baseline's bare
#      UPDATE of one row's JSON (its PATCH of bench/patch.lua, over 64 rows); a run that finds jobs used up gets
#      non-2xx answers and is marked invalid;
#   2. drain: JOBS jobs for another image (python27), installed on a second set of PROVIDERS x MACHINES instances with
#      capacity PARALLEL; bench/drain.mjs plays those machines (polling through one process, reporting through the
#      other, alternately) until every job is reported done; then the event log is checked: no job assigned twice,
#      none left behind, none released;
#   3. the report's SQL alone (PGBENCH=1): before the runs of 1, one job is reported IN_PROGRESS and, 3 s later (so
#      that it is billed), SUCCEEDED with PostgreSQL's statement log on; bench/log-to-pgbench.py turns each report's
#      transaction into a pgbench script over the report jobs (each replay takes a job and its instance and accounts).
#      At the end, with both apps stopped, pgbench runs those scripts (a start and a finish a transaction) A/B with
#      the bare UPDATE, -c CONNECTIONS: the ratio that no application can beat for this SQL.
# Report: bench/results/jobs-latest.md; logs: bench/results/jobs-logs/. Everything it started is stopped at exit.
set -euo pipefail

logs_dir=jobs-logs
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
logs=$results/$logs_dir
pg_dir=$repo/.local/bench-jobs-pg
pg_port=55435
api_port=5106 base_port=5107 api2_port=5108
api_url=http://127.0.0.1:$api_port base_url=http://127.0.0.1:$base_port api2_url=http://127.0.0.1:$api2_port

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3}
PROVIDERS=${PROVIDERS:-4}
MACHINES=${MACHINES:-5}
CONSUMERS=${CONSUMERS:-4}
REPORT_JOBS=${REPORT_JOBS:-30000}
JOBS=${JOBS:-2000}
PARALLEL=${PARALLEL:-4}
TIMEOUT=${TIMEOUT:-600}
PGBENCH=${PGBENCH:-1}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP PROVIDERS MACHINES CONSUMERS REPORT_JOBS JOBS PARALLEL TIMEOUT
command -v node >/dev/null || die "node is needed for the drain (bench/drain.mjs)"
per_run=10000 # the most jobs a run may have

api_psql() { psql -d bench_api "$@"; }
curl_all() { # CONFIG EXPECTED_STATUS COUNT WHAT: runs a curl config in parallel; every answer must be EXPECTED_STATUS
  local out=$1.out
  curl -s --parallel --parallel-max 8 -K "$1" >"$out" || die "$4: curl failed"
  [ "$(grep -cx "$2" "$out")" = "$3" ] || { sort "$out" | uniq -c >&2; die "$4: not all $3 answered $2"; }
}
request() { # METHOD URL KEY [DATA]: one curl config entry, appended to $cfg
  [ ! -s "$cfg" ] || echo next >>"$cfg"
  printf 'url = "%s"\nrequest = "%s"\nheader = "Authorization: Token %s"\n%soutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
    "$2" "$1" "$3" "${4:+data = \"$4\"$'\n'}" >>"$cfg"
}

# The report scenario's machines poll once, then only report for minutes: with the default Presence:OfflineAfter (a
# minute) the silence checks would mark them offline mid-run and give their jobs back (the reports then answer 404).
# They are assigned all their jobs by that one poll, more than a poll answers by default (Dispatch:MaxJobsPerPoll, 100).
per_machine=$(( REPORT_JOBS / (PROVIDERS * MACHINES) + 1 ))
API_ARGS="--Presence:OfflineAfter=01:00:00 --Presence:NotAvailableAfter=02:00:00 --Dispatch:MaxJobsPerPoll=$per_machine ${API_ARGS:-}"

bench_init
check_tools
start_pg bench_api bench_base
build_apps
api_dll=${API_APP:+$API_APP/Sharedcloud.Es.Api.dll}
api_dll=${api_dll:-$results/app/api/Sharedcloud.Es.Api.dll}
start_apps "$api_dll"

# --- seed: machines, consumers ----------------------------------------------------------------------------------
seed_machines() { # SET IMAGE CAPACITY: PROVIDERS accounts x MACHINES started instances with IMAGE; targets in $logs/SET.txt
  local set=$1 p m key uuid
  : >"$logs/$set.txt"
  for p in $(seq -w 1 "$PROVIDERS"); do
    key=$(api_account "bench-$set-$p")
    for m in $(seq -w 1 "$MACHINES"); do
      uuid=$(http 201 -X POST "$api_url/api/v1/instances/" -H "Authorization: Token $key" --data-urlencode "name=$set-$p-$m" \
        -d ask_price=0.01 -d "max_num_parallel_jobs=$3" | json_field uuid)
      echo "$uuid $key" >>"$logs/$set.txt"
    done
  done
  cfg=$logs/$set-start.curl; : >"$cfg"
  while read -r uuid key; do
    request PATCH "$api_url/api/v1/instances/$uuid/add-image/" "$key" "image_registry_path=$2"
    request PATCH "$api_url/api/v1/instances/$uuid/start/" "$key"
  done <"$logs/$set.txt"
  curl_all "$cfg" 200 $((2 * PROVIDERS * MACHINES)) "starting the $set machines"
}
queue() { # PART IMAGE_UUID CODE COUNT: COUNT jobs over the consumers' runs of a new function each
  local c n function left
  for c in $(seq 1 "$CONSUMERS"); do
    function=$(http 201 -X POST -H "Authorization: Token ${consumer_keys[$c]}" "$api_url/api/v1/functions/" \
      --data-urlencode "name=$1" --data-urlencode "image=$2" --data-urlencode "code=$(printf "$3")" | json_field uuid)
    left=$(( $4 / CONSUMERS + (c <= $4 % CONSUMERS ? 1 : 0) ))
    while [ "$left" -gt 0 ]; do
      n=$(( left < per_run ? left : per_run ))
      http 201 -X POST -H "Authorization: Token ${consumer_keys[$c]}" "$api_url/api/v1/runs/" --data-urlencode "function=$function" \
        --data-urlencode "parameters=($(seq -s, 1 "$n" | sed 's/\([0-9]*\)/(\1,)/g'),)" -d bid_price=1 >/dev/null
      left=$((left - n))
    done
  done
}

log "seeding: $CONSUMERS consumers (credited), $((PROVIDERS * MACHINES)) machines for the reports"
declare -A consumer_keys
for c in $(seq 1 "$CONSUMERS"); do
  consumer_keys[$c]=$(api_account "bench-consumer-$c")
  (ConnectionStrings__Postgres=$(pg_url bench_api) Auth__TokenSecret=$secret Logging__LogLevel__Default=Warning \
    in_folder_of "$api_dll" credit --username "bench-consumer-$c" --amount 1000000) \
    >"$logs/credit.log" 2>&1 || { cat "$logs/credit.log" >&2; die "the credit command failed"; }
done
seed_machines report sharedcloud/web-crawling-python36:latest "$per_machine"

# --- 1. reports ------------------------------------------------------------------------------------------------
log "queueing $REPORT_JOBS jobs and assigning them (one poll per machine)"
queue report 24b3a0f8-c405-4928-954f-d5c93273f88a 'def handler(event):\n    return event[0]' "$REPORT_JOBS"
cfg=$logs/report-assign.curl; : >"$cfg"
while read -r uuid key; do request GET "$api_url/api/v1/instances/$uuid/get-jobs/" "$key"; done <"$logs/report.txt"
curl_all "$cfg" 200 $((PROVIDERS * MACHINES)) "the assigning polls"
assigned=$(api_psql -At -c "select count(*) from sharedcloud.mt_doc_job where status = 1 and instance_id is not null")
[ "$assigned" = "$REPORT_JOBS" ] || die "$assigned jobs assigned, expected $REPORT_JOBS"
# "<job> <key of the provider whose instance holds it>" for the jobs still only assigned, in a random order (reports
# spread over instances and runs); rewritten before each wrk run, whose own counters start again at the first line.
assigned_jobs() {
  sleep 1 # the previous run's last requests, cut off by wrk, may still be committing
  api_psql -At -F ' ' -c "select id, instance_id from sharedcloud.mt_doc_job where status = 1 and instance_id is not null
    order by random()" | awk 'NR == FNR { key[$1] = $2; next } { print $1, key[$2] }' "$logs/report.txt" - >"$logs/report-jobs.txt"
}
: >"$logs/baseline-rows.txt"
for i in $(seq -w 1 64); do
  echo "$(base_create "$(cat /proc/sys/kernel/random/uuid)" "jobs-base-$i") -" >>"$logs/baseline-rows.txt"
done

# --- the report's SQL, captured from the statement log (replayed by pgbench after the drain), before the runs -----------------------
# One job still assigned is reported IN_PROGRESS, then SUCCEEDED, each with PostgreSQL's statement log on; each report's
# transaction becomes a pgbench script (bench/log-to-pgbench.py) over the jobs of the report set: its job, instance and
# accounts swapped for a picked job's, its events' ids made new on each replay.
if [ "$PGBENCH" = 1 ]; then
  assigned_jobs
  read -r cjob ckey <"$logs/report-jobs.txt" || die "no assigned job left to capture a report of"
  targets_sql="select j.id as job, j.instance_id as instance, j.account_id as consumer, i.account__id as provider,
      c.data ->> 'username' as consumer_name, p.data ->> 'username' as provider_name
    from sharedcloud.mt_doc_job j join sharedcloud.mt_doc_instancedetails i on i.id = j.instance_id
      join sharedcloud.mt_doc_accountdetails c on c.id = j.account_id join sharedcloud.mt_doc_accountdetails p on p.id = i.account__id"
  read -r _ cinstance cconsumer cprovider cconsumer_name cprovider_name <<<"$(api_psql -At -F' ' -c "select * from ($targets_sql) t where t.job = '$cjob'")"
  api_psql -c "drop table if exists public.report_targets" -c "create table public.report_targets as
    select row_number() over (order by t.job) as n, t.* from ($targets_sql) t where t.job <> '$cjob'" \
    -c "alter table public.report_targets add primary key (n)"
  targets=$(api_psql -At -c "select count(*) from public.report_targets")
  capture_report() { # NAME BODY: one report of $cjob with the statement log on -> $logs/pgbench-NAME.part
    local from seq
    seq=$(api_psql -At -c "select coalesce(max(seq_id), 0) from sharedcloud.mt_events")
    from=$(( $(wc -l <"$pg_dir/postgres.log") + 1 ))
    psql -d postgres -c "alter system set log_min_duration_statement = 0" -c "select pg_reload_conf()" >/dev/null
    sleep 0.5
    http 200 -X PATCH "$api_url/api/v1/jobs/$cjob/" -H "Authorization: Token $ckey" -d "$2" >/dev/null
    sleep 0.5
    psql -d postgres -c "alter system reset log_min_duration_statement" -c "select pg_reload_conf()" >/dev/null
    # shellcheck disable=SC2046 # one argument per id
    python3 bench/log-to-pgbench.py "$pg_dir/postgres.log" "$from" "$cjob" public.report_targets "$targets" \
      "job=$cjob" "instance=$cinstance" "consumer=$cconsumer" "provider=$cprovider" \
      "consumer_name=$cconsumer_name" "provider_name=$cprovider_name" \
      --fresh $(api_psql -At -c "select id from sharedcloud.mt_events where seq_id > $seq") >"$logs/pgbench-$1.part" \
      || die "the $1 report's transaction is not in the statement log"
  }
  capture_report start status=2
  sleep 3 # a finish three seconds or more after its start is billed, as the wrk runs' finishes (about 2,000 requests later)
  capture_report finish "status=3&output=done"
  grep -q mt_doc_accountdetails "$logs/pgbench-finish.part" || die "the captured finish moved no money"
fi

export BENCH_THREADS=$THREADS BENCH_ERRORS_FILE=$logs/report-errors.txt
wrk_args() {
  case "$1,$2" in
    report,api)      args=(-s bench/report.lua "$api_url"); assigned_jobs
                     export BENCH_JOBS_FILE=$logs/report-jobs.txt BENCH_BASELINE=0 ;;
    report,baseline) args=(-s bench/report.lua "$base_url"); export BENCH_JOBS_FILE=$logs/baseline-rows.txt BENCH_BASELINE=1 ;;
    *) die "unknown scenario $1,$2" ;;
  esac
}
start_sampler
run_scenario report
stop_sampler
finished=$(api_psql -At -c "select count(*) filter (where status = 3), count(*) filter (where status = 2) from sharedcloud.mt_doc_job")
sums=$(api_psql -At -c "select coalesce(sum((data ->> 'balance')::numeric), 0) from sharedcloud.mt_doc_accountdetails")
echo "   jobs SUCCEEDED, IN_PROGRESS after the runs: ${finished/|/, }; sum of all balances: $sums"

# --- 2. the drain --------------------------------------------------------------------------------------------------
log "seeding: $((PROVIDERS * MACHINES)) machines for the drain (capacity $PARALLEL), $JOBS jobs for them; a second API process"
seed_machines drain sharedcloud/web-crawling-python27:latest "$PARALLEL"
start_app api2 $api2_port bench_api "$api_dll" ${API_ARGS:-}
extra_pids=$!
wait_ready api2 "$extra_pids" "$api2_url/health/ready"
queue drain a8e496b2-ab15-40ee-a1bf-3a28d7a8a2c3 'def handler(event):\n    return event[0]' "$JOBS"
drain_function_jobs="select j.id from sharedcloud.mt_doc_job j join sharedcloud.mt_doc_run r on r.id = j.run_id
  join sharedcloud.mt_doc_function f on f.id = r.function_id where f.data ->> 'name' = 'drain'"
queued=$(api_psql -At -c "select count(*) from ($drain_function_jobs) d")
[ "$queued" = "$JOBS" ] || die "$queued drain jobs queued, expected $JOBS"
log "drain: $((PROVIDERS * MACHINES)) machines through two processes"
node bench/drain.mjs "$logs/drain.txt" "$api_url" "$api2_url" "$JOBS" "$TIMEOUT" | tee "$logs/drain.json"
checks=$(api_psql -At -F ' ' -c "with d as ($drain_function_jobs),
  a as (select e.stream_id, count(*) filter (where e.type = 'job_assigned') as assigned,
               count(*) filter (where e.type = 'job_released') as released
        from sharedcloud.mt_events e join d on d.id = e.stream_id group by e.stream_id)
  select count(*) filter (where a.assigned > 1), count(*) filter (where coalesce(a.assigned, 0) = 0),
         coalesce(sum(a.released), 0),
         (select count(*) from sharedcloud.mt_doc_job j join d on d.id = j.id where j.status <> 3)
  from d left join a on a.stream_id = d.id")
read -r twice never released left <<<"$checks"
echo "   event log: $twice jobs assigned more than once, $never never assigned, $released releases; $left jobs not SUCCEEDED"

# --- the report's SQL alone (pgbench), beside the bare UPDATE --------------------------------------------------
# Both applications stop first (the API's background work would land in the runs' PostgreSQL CPU). The bare UPDATE is
# the baseline's PATCH (bench/floor-patch.sh's), on a copy of 64 rows in the same database; a report script is one
# start and one finish of two jobs picked at random, each report's statements pipelined into one round trip.
if [ "$PGBENCH" = 1 ]; then
  kill "$api_pid" "$base_pid" "$extra_pids" 2>/dev/null || true
  wait "$api_pid" "$base_pid" "$extra_pids" 2>/dev/null || true
  api_pid="" base_pid="" extra_pids=""
  log "the report's SQL: pgbench, the bare UPDATE / a start and a finish, $ROUNDS x ${DURATION}s each, -c$CONNECTIONS"
  api_psql -c "drop table if exists public.bench_instances, public.floor_ids" -c "
    CREATE TABLE public.bench_instances (id uuid PRIMARY KEY, owner uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL);
    CREATE INDEX bench_instances_owner_created ON public.bench_instances (owner, created_at DESC);
    INSERT INTO public.bench_instances (id, owner, data) SELECT gen_random_uuid(), d.account__id, d.data
      FROM (SELECT * FROM sharedcloud.mt_doc_instancedetails LIMIT 1) d, generate_series(1, 64);
    CREATE TABLE public.floor_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM public.bench_instances;"
  printf '%s\n%s\n%s\n' '\set n random(1, 64)' 'select id as sid from public.floor_ids where n = :n \gset' \
    "update public.bench_instances set data = data || '{\"ask_price\": 0.7, \"updated_at\": \"02-12-2026 02:00:00\"}' where id = :sid returning data;" \
    >"$logs/bare.sql"
  cat "$logs/pgbench-start.part" "$logs/pgbench-finish.part" >"$logs/reports.sql"
  mkdir -p "$logs/pgbench"; cp "$logs/bare.sql" "$logs/reports.sql" "$logs/pgbench/"
  (logs=$logs/pgbench db=bench_api CLIENTS=$CONNECTIONS; pgbench_rounds bare:1 reports:2) || die "pgbench failed"
fi

# --- report ----------------------------------------------------------------------------------------------------------
report=$results/jobs-latest.md
{
  echo "# bench/jobs.sh results"
  echo
  commit_line
  echo "$(nproc) cores; reports: wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds A/B after a ${WARMUP}s warm-up;"
  echo "$CONSUMERS consumers, $PROVIDERS providers x $MACHINES machines per part."
  echo
  echo "| scenario | baseline req/s | API req/s | API / baseline | goal | runs (baseline; API) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' '
    $1 == "report" { n[$2]++; sum[$2] += $4; bad[$2] += $6; runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4) }
    END {
      a = sum["baseline"] / n["baseline"]; b = sum["api"] / n["api"]
      note = (bad["api"] + bad["baseline"]) ? sprintf(" (INVALID: non-2xx API %d, baseline %d)", bad["api"], bad["baseline"]) : ""
      printf "| report (PATCH) | %.0f | %.0f | %.2f%s | >= 0.4 | %s; %s |\n", a, b, (a ? b / a : 0), note, runs["baseline"], runs["api"]
    }' "$runs"
  echo
  cpu_table report
  echo
  echo "Drain: $(cat "$logs/drain.json")"
  echo
  echo "Event log after the drain: $twice jobs assigned more than once, $never never assigned, $released releases, $left not SUCCEEDED."
  echo "API peak RSS $((api_hwm_kb / 1024)) MB (VmHWM, process 1)."
  if [ "$PGBENCH" = 1 ]; then
    echo
    echo "The report's SQL alone (pgbench -M prepared -c $CONNECTIONS, $ROUNDS x ${DURATION}s A/B after a warm-up; the statements one IN_PROGRESS"
    echo "and one SUCCEEDED report sent, from PostgreSQL's statement log, each report pipelined into one round trip):"
    echo
    echo "| side | per second | / bare UPDATE | PostgreSQL CPU each (ms) | runs |"
    echo "| --- | ---: | ---: | ---: | --- |"
    awk -F'\t' 'NR > 1 { n[$1]++; r[$1] += $3; c[$1] += $4; runs[$1] = runs[$1] (runs[$1] == "" ? "" : ", ") $3 }
      END { br = r["bare"] / n["bare"]
        printf "| bare UPDATE | %.0f | 1.00 | %.3f | %s |\n", br, c["bare"] / n["bare"], runs["bare"]
        printf "| report (half IN_PROGRESS, half SUCCEEDED) | %.0f | %.2f | %.3f | %s |\n", r["reports"] / n["reports"],
          r["reports"] / n["reports"] / br, c["reports"] / n["reports"], runs["reports"] }' "$logs/pgbench/runs.tsv"
  fi
} >"$report"
echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; logs in ${logs#"$repo"/}/)"
[ "$twice" = 0 ] && [ "$never" = 0 ] && [ "$left" = 0 ] || die "the drain lost or doubled jobs"
