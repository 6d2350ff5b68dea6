#!/usr/bin/env bash
# A/B of two API variants on the same PostgreSQL: two configurations of this build, or another build
# (say, main before a change) against this one. Each side gets its own database and the same seeding;
# scenarios get, list20, create, patch64 and patch1 (as bench/run.sh's), A/B alternated after a settle phase, as bench/run.sh.
#
#   A_ARGS="--Projections:Daemon=Disabled" bench/ab.sh        # B: this build as configured by default
#   A_APP=/tmp/old-build bench/ab.sh                          # A: a folder holding Sharedcloud.Es.Api.dll
#   B_APP=/tmp/r2r-publish bench/ab.sh                        # B: another build of this commit (a publish, say)
#
# Env knobs: DURATION, ROUNDS, CONNECTIONS, THREADS, WARMUP, SETTLE   as for bench/run.sh
#            SCENARIOS        which of "get list20 create patch64 patch1" to run (get list20 create by default)
#            A_APP            the A side's build folder (default: this build, like B)
#            B_APP            the B side's build folder (default: this build)
#            A_ARGS, B_ARGS   extra configuration per side, as command-line arguments (--Section:Key=value)
#            A_ENV, B_ENV     extra environment per side (NAME=value ..., e.g. DOTNET_gcServer=0)
# Both sides run in Production with the bench's raised per-account limits (bench/lib.sh). The report (B / A)
# goes to bench/results/ab-latest.md; logs to bench/results/ab-logs/.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3}
SETTLE=${SETTLE:-15}
A_ARGS=${A_ARGS:-} B_ARGS=${B_ARGS:-} A_ENV=${A_ENV:-} B_ENV=${B_ENV:-}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP
read -r -a scenarios <<< "${SCENARIOS:-get list20 create}"
logs=$results/ab-logs

bench_init
check_tools
start_pg bench_a bench_b
projection_dbs="bench_a bench_b" # both sides' asynchronous projections catch up before each scenario (bench/lib.sh)
log "building (Release)"
rm -rf "$results/app-ab"
build_api_copy "$results/app-ab/this"
for side in a b; do
  folder_var=${side^^}_APP
  folder=${!folder_var:-$results/app-ab/this}
  [ -f "$folder/Sharedcloud.Es.Api.dll" ] || die "$folder_var=$folder holds no Sharedcloud.Es.Api.dll"
  cp -a "$folder" "$results/app-ab/$side"
done

start_api() { # side port environment arguments
  # shellcheck disable=SC2086 # the environment and arguments are lists
  env $3 ConnectionStrings__Postgres="$(pg_url "bench_$1")" Auth__TokenSecret=$secret ASPNETCORE_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning RateLimits__Reads__PermitLimit=1000000000 RateLimits__Writes__PermitLimit=1000000000 \
    bash -c "$(declare -f in_folder_of); in_folder_of \"\$@\"" - "$results/app-ab/$1/Sharedcloud.Es.Api.dll" \
    --urls "http://127.0.0.1:$2" $4 >"$logs/$1.log" 2>&1 &
}
log "starting A on $base_url and B on $api_url"
start_api a $base_port "$A_ENV" "$A_ARGS"
base_pid=$!
start_api b $api_port "$B_ENV" "$B_ARGS"
api_pid=$!
wait_ready a "$base_pid" "$base_url/health/ready"
wait_ready b "$api_pid" "$api_url/health/ready"

seed_pair
wrk_args() { pair_wrk_args "$@"; } # api = B, baseline = A

settle "${scenarios[@]}"
start_sampler
for scenario in "${scenarios[@]}"; do
  run_scenario "$scenario"
done
stop_sampler

report=$results/ab-latest.md
{
  echo "# bench/ab.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a ${WARMUP}s warm-up (and ${SETTLE}s of each scenario per side before all)."
  echo "A: ${A_APP:-this build}${A_ENV:+ env $A_ENV}${A_ARGS:+ args $A_ARGS}; B: ${B_APP:-this build}${B_ENV:+ env $B_ENV}${B_ARGS:+ args $B_ARGS}."
  echo "Peak RSS: A $((base_hwm_kb / 1024)) MB, B $((api_hwm_kb / 1024)) MB."
  echo
  echo "| scenario | A req/s | B req/s | B / A | runs (A; B) |"
  echo "| --- | ---: | ---: | ---: | --- |"
  for scenario in "${scenarios[@]}"; do
    awk -F'\t' -v s="$scenario" '
      $1 == s {
        n[$2]++; sum[$2] += $4; bad[$2] += $6
        runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
      }
      END {
        a = sum["baseline"] / n["baseline"]; b = sum["api"] / n["api"]
        note = (bad["api"] + bad["baseline"]) ? sprintf(" (INVALID: non-2xx A %d, B %d)", bad["baseline"], bad["api"]) : ""
        printf "| %s | %.0f | %.0f | %.2f%s | %s; %s |\n", s, a, b, (a ? b / a : 0), note, runs["baseline"], runs["api"]
      }' "$runs"
  done
  echo
  echo "CPU per request in ms (the columns say baseline for A and API for B):"
  echo
  cpu_table "${scenarios[@]}"
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; logs in ${logs#"$repo"/}/)"
