#!/usr/bin/env bash
# The job marketplace's hot paths: the provider's job reports against a bare UPDATE, and the dispatch drain.
#
#   bench/jobs.sh                               # defaults, ~4 minutes
#   DURATION=5 ROUNDS=1 bench/jobs.sh           # a quicker try
#
# Env knobs: DURATION ROUNDS CONNECTIONS THREADS WARMUP   the report scenario's wrk runs, as bench/run.sh (8, 2, 32, 2, 3)
#            PROVIDERS (4) accounts with MACHINES (5) instances each; CONSUMERS (4) accounts, credited by the
#            operator's `credit` command, each with one function per part
#            REPORT_JOBS (16000) jobs assigned before the report scenario (it must not run out: see below)
#            JOBS (2000) jobs queued for the drain, PARALLEL (4) jobs at once per machine there; TIMEOUT (600) s
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
#      none left behind, none released.
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
REPORT_JOBS=${REPORT_JOBS:-16000}
JOBS=${JOBS:-2000}
PARALLEL=${PARALLEL:-4}
TIMEOUT=${TIMEOUT:-600}
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
API_ARGS="--Presence:OfflineAfter=01:00:00 --Presence:NotAvailableAfter=02:00:00 ${API_ARGS:-}"

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
per_machine=$(( REPORT_JOBS / (PROVIDERS * MACHINES) + 1 ))
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
} >"$report"
echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; logs in ${logs#"$repo"/}/)"
[ "$twice" = 0 ] && [ "$never" = 0 ] && [ "$left" = 0 ] || die "the drain lost or doubled jobs"
