#!/usr/bin/env bash
# Where the API's CPU goes in one scenario: runs it with wrk while dotnet-trace samples the API, then prints the
# methods with the most samples (inclusive and exclusive; bench/trace-top.py).
#
#   SCENARIO=patch64 bench/trace.sh     # patch64 (default), patch1, create or poll (64 started machines' get-jobs)
#   DURATION=10 WARMUP=10               # seconds sampled, seconds of unsampled load first
#   API_ARGS=--Projections:Daemon=Disabled bench/trace.sh
#
# Needs dotnet-trace (`dotnet tool install -g dotnet-trace`, which this script runs when it is missing). The trace
# and its speedscope conversion stay in bench/results/logs/. The figures are samples, not times: compare them
# within one trace, and measure with bench/run.sh.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCENARIO=${SCENARIO:-patch64}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
check_knobs DURATION WARMUP CONNECTIONS
case "$SCENARIO" in patch64|patch1|create|poll) ;; *) die "unknown SCENARIO '$SCENARIO' (patch64, patch1, create, poll)" ;; esac

export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-trace >/dev/null || dotnet tool install -g dotnet-trace >/dev/null
command -v python3 >/dev/null || die "python3 is needed for the summary"

bench_init
check_tools
start_pg bench_api bench_base
build_apps
start_apps

key=$(api_account bench-trace)
ids=""
if [ "$SCENARIO" = poll ]; then
  log "seeding: 64 instances, started and polled once (online)"
  : >"$logs/trace-targets.txt"
  for i in $(seq -w 1 64); do
    id=$(api_create "$key" "bench-trace-$i")
    http 200 -X PATCH "$api_url/api/v1/instances/$id/start/" -H "Authorization: Token $key" >/dev/null
    http 200 "$api_url/api/v1/instances/$id/get-jobs/" -H "Authorization: Token $key" >/dev/null
    echo "/api/v1/instances/$id/get-jobs/ Token $key" >>"$logs/trace-targets.txt"
  done
  export BENCH_POLL_TARGETS=$logs/trace-targets.txt BENCH_POLL_THREADS=2
  args=(-s bench/poll.lua "$api_url/"); path=""
elif [ "$SCENARIO" != create ]; then
  log "seeding: 64 instances"
  for i in $(seq -w 1 64); do ids+="$(api_create "$key" "bench-trace-$i") "; done
  [ "$SCENARIO" = patch1 ] && ids=${ids%% *}
  args=(-s bench/patch.lua "$api_url"); path="/api/v1/instances/{id}/"
else
  args=(-s bench/post.lua "$api_url/api/v1/instances/"); path=""
fi

log "$SCENARIO: ${WARMUP}s of load, then ${DURATION}s sampled"
BENCH_AUTHORIZATION="Token $key" BENCH_IDS=$ids BENCH_PATH=$path \
  wrk -t2 "-c$CONNECTIONS" "-d$((WARMUP + DURATION + 2))s" "${args[@]}" >"$logs/trace-wrk.txt" 2>&1 &
wrk_pid=$!
sleep "$WARMUP"
dotnet-trace collect -p "$api_pid" --profile dotnet-sampled-thread-time --duration "00:00:00:$DURATION" \
  -o "$logs/trace.nettrace" >"$logs/trace-collect.txt" 2>&1
wait "$wrk_pid"
grep -E "Requests/sec" "$logs/trace-wrk.txt" || true
! grep -E "Non-2xx" "$logs/trace-wrk.txt" || die "the load got error answers: the trace is not of $SCENARIO"
dotnet-trace convert --format speedscope -o "$logs/trace" "$logs/trace.nettrace" >/dev/null
python3 bench/trace-top.py "$logs/trace.speedscope.json"
