#!/usr/bin/env bash
# What request logging, metrics and throttling cost: the API with them on against the same build with them off,
# side by side on one PostgreSQL, A/B alternated (the "baseline" side of bench/lib.sh is the API "off").
#
#   bench/overhead.sh                        # defaults: DURATION=10 ROUNDS=2 CONNECTIONS=32 WARMUP=10
#   DURATION=5 ROUNDS=1 bench/overhead.sh    # a quick try
#
# Env knobs: DURATION, ROUNDS, CONNECTIONS, THREADS, WARMUP   as for bench/run.sh (WARMUP 10 here)
#            LOG_FORMAT   simple (default) or json: the console formatter of the "on" side's request lines
#            SCENARIOS    which of "get list20 create" to run (all by default)
#            ON_ARGS      extra configuration for the "on" side, as command-line arguments
#                         (e.g. ON_ARGS="--Telemetry:Prometheus=false")
#
# "On": one Information line per request from Sharedcloud.Es.Api.Requests on the console (redirected to
# bench/results/overhead-logs/on.log), and the rate limiter with every limit in place. Its per-account
# limits are raised (RateLimits:Reads/Writes:PermitLimit=1000000000, as bench/lib.sh does for every
# bench), so that every request pays the limiter and none is refused, however fast the machine. Metrics:
# OpenTelemetry on with the Prometheus exporter (every request recorded per route, Npgsql and Marten
# counters).
# "Off": RateLimits:Enabled=false, Telemetry:Enabled=false and the request category at Warning. Everything else as bench/run.sh:
# two databases (bench_on, bench_off) on the bench cluster, the same seeding on both, scenarios get,
# list20 and create. The report goes to bench/results/overhead-latest.md.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-10}
LOG_FORMAT=${LOG_FORMAT:-simple}
ON_ARGS=${ON_ARGS:-}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP
[[ "$LOG_FORMAT" =~ ^(simple|json)$ ]] || { echo "$bench_name: LOG_FORMAT must be simple or json" >&2; exit 2; }

goal=0.90 # on / off
read -r -a scenarios <<< "${SCENARIOS:-get list20 create}"
logs=$results/overhead-logs

bench_init
check_tools
start_pg bench_on bench_off
log "building (Release)"
build_api_copy "$results/app-overhead/api"
dll=$results/app-overhead/api/Sharedcloud.Es.Api.dll

start_api() { # name port database config-arguments...; the PID is in $!
  local name=$1 port=$2 db=$3
  shift 3
  ConnectionStrings__Postgres=$(pg_url "$db") Auth__TokenSecret=$secret ASPNETCORE_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning RateLimits__Reads__PermitLimit=1000000000 RateLimits__Writes__PermitLimit=1000000000 \
    in_folder_of "$dll" --urls "http://127.0.0.1:$port" "$@" >"$logs/$name.log" 2>&1 &
}

log "starting the API with logging and throttling on $api_url and off on $base_url"
# shellcheck disable=SC2086 # ON_ARGS is a list of arguments
start_api on $api_port bench_on "--Logging:LogLevel:Sharedcloud.Es.Api.Requests=Information" \
  "--Logging:Console:FormatterName=$LOG_FORMAT" "--RateLimits:Enabled=true" "--Telemetry:Enabled=true" \
  "--Telemetry:Prometheus=true" $ON_ARGS
api_pid=$!
start_api off $base_port bench_off "--Logging:LogLevel:Sharedcloud.Es.Api.Requests=Warning" "--RateLimits:Enabled=false" \
  "--Telemetry:Enabled=false"
base_pid=$!
wait_ready on "$api_pid" "$api_url/health/ready"
wait_ready off "$base_pid" "$base_url/health/ready"

seed_pair
wrk_args() { pair_wrk_args "$@"; } # api = on, baseline = off

lines_before=$(grep -c 'Sharedcloud.Es.Api.Requests' "$logs/on.log" || true)
start_sampler
for scenario in "${scenarios[@]}"; do
  run_scenario "$scenario"
done
stop_sampler
lines_after=$(grep -c 'Sharedcloud.Es.Api.Requests' "$logs/on.log" || true)
on_requests=$(awk -F'\t' 'NR > 1 && $2 == "api" { n += $5 } END { print n + 0 }' "$runs")
# The simple formatter writes two lines per entry, the category on the first: count those.
[ "$lines_after" -gt "$lines_before" ] || die "the 'on' side wrote no request lines: is the request log on?"
! grep -q '"StatusCode":429\|responded 429' "$logs/on.log" || die "the 'on' side throttled a request: raise its limits"

# --- report -----------------------------------------------------------------------------------
report=$results/overhead-latest.md
{
  echo "# bench/overhead.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a ${WARMUP}s warm-up."
  echo "On: request log ($LOG_FORMAT console formatter) + rate limiter${ON_ARGS:+ + $ON_ARGS}; off: neither. Same build, same cluster."
  echo "Request lines written by the 'on' side during the runs (warm-ups included): $((lines_after - lines_before)); measured requests: $on_requests."
  echo
  echo "| scenario | off req/s | on req/s | on / off | goal | result | runs (off; on) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
  for scenario in "${scenarios[@]}"; do
    awk -F'\t' -v s="$scenario" -v g="$goal" '
      $1 == s {
        n[$2]++; sum[$2] += $4; bad[$2] += $6; if ($11 > other) other = $11
        runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
      }
      END {
        b = sum["baseline"] / n["baseline"]; a = sum["api"] / n["api"]; ratio = b ? a / b : 0
        result = ratio >= g ? "PASS" : "MISS"
        if (other > 0.2) result = result sprintf(" (noisy: other load up to %.1f cores)", other)
        if (bad["api"] + bad["baseline"]) result = sprintf("INVALID: non-2xx responses (on %d, off %d)", bad["api"], bad["baseline"])
        printf "| %s | %.0f | %.0f | %.2f | >= %s | %s | %s; %s |\n", s, b, a, ratio, g, result, runs["baseline"], runs["api"]
      }' "$runs"
  done
  echo
  echo "CPU per request in ms (the columns say baseline for off and API for on; CPU ratio = off / on):"
  echo
  cpu_table "${scenarios[@]}"
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; wrk outputs, app logs and samples in ${logs#"$repo"/}/)"
