#!/usr/bin/env bash
# The request path with Marten's async daemon running versus off, under a write load that gives the
# daemon work (every create appends an event that three analytics projections then process).
#
#   bench/analytics.sh                        # defaults: DURATION=10 ROUNDS=3 CONNECTIONS=32
#   DURATION=5 ROUNDS=1 bench/analytics.sh    # a quick try
#
# Env knobs: DURATION, ROUNDS, CONNECTIONS, THREADS, WARMUP as bench/run.sh (ROUNDS default 3).
#
# Two API processes from the same Release build, each on its own database of the bench cluster
# (.local/bench-pg, port 55433): "on" (Projections:Daemon=HotCold, the default) on 127.0.0.1:5101 with
# bench_on, "off" (Projections:Daemon=Disabled) on 127.0.0.1:5102 with bench_off. Separate databases,
# so that the daemon only ever works on the "on" side's writes. wrk drives them alternately (off, on,
# off, on, ...). After each "on" run the script reads how far the daemon is behind
# (X-Projection-Lag of GET /api/v1/analytics/marketplace/) and waits for it to catch up before the next
# run, timing that and the CPU it takes, so the daemon's leftover work never falls into an "off" run.
# Prints a markdown table (also bench/results/analytics-latest.md); logs in bench/results/logs/.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP

# lib.sh's two sides: "api" is the process with the daemon, "baseline" the one without.
on_url=$api_url
off_url=$base_url

bench_init
check_tools
start_pg bench_on bench_off

log "building the API (Release)"
build src/Api/Sharedcloud.Es.Api.csproj || die "the API does not build"
rm -rf "$results/app"
mkdir -p "$results/app"
cp -a src/Api/bin/Release/net10.0 "$results/app/api"

log "starting the API with the daemon on $on_url and without on $off_url"
Projections__Daemon=HotCold start_app on $api_port bench_on "$results/app/api/Sharedcloud.Es.Api.dll"
api_pid=$!
Projections__Daemon=Disabled start_app off $base_port bench_off "$results/app/api/Sharedcloud.Es.Api.dll"
base_pid=$!
wait_ready on "$api_pid" "$on_url/health/ready"
wait_ready off "$base_pid" "$off_url/health/ready"

log "seeding one account per side"
key_on=$(api_url=$on_url api_account bench-on)
key_off=$(api_url=$off_url api_account bench-off)
[ -n "$key_on" ] && [ -n "$key_off" ] || die "seeding returned no key"

wrk_args() {
  case "$1,$2" in
    create,api)      args=(-s bench/post.lua "$on_url/api/v1/instances/"); authorization="Token $key_on" ;;
    create,baseline) args=(-s bench/post.lua "$off_url/api/v1/instances/"); authorization="Token $key_off" ;;
    *) die "unknown scenario $1,$2" ;;
  esac
}

lag() { # the daemon's lag on the "on" side, in event sequence numbers
  curl -s -D - -o /dev/null -H "Authorization: Token $key_on" "$on_url/api/v1/analytics/marketplace/" \
    | tr -d '\r' | sed -n 's/^X-Projection-Lag: //Ip'
}

catch_up() { # ROUND: waits (up to 5 min) until the daemon has processed every event; logs lag, seconds, CPU
  local behind start ticks0 ticks1 pg0 pg1 waited=0.0
  ticks0=$(proc_ticks "$api_pid"); pg0=$(pg_ticks)
  behind=$(lag)
  if [ "$behind" != 0 ]; then
    start=$(date +%s.%N)
    while [ "$(lag)" != 0 ]; do
      waited=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
      awk -v w="$waited" 'BEGIN { exit !(w > 300) }' && die "the daemon did not catch up within 5 minutes"
      sleep 0.1
    done
    waited=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
  fi
  ticks1=$(proc_ticks "$api_pid"); pg1=$(pg_ticks)
  echo -e "$1\t$behind\t$waited\t$(( (ticks1 - ticks0) * 1000 / clk_tck ))\t$(( (pg1 - pg0) * 1000 / clk_tck ))" >>"$catchups"
  echo "   daemon: $behind behind at the end of the run, caught up ${waited}s after" \
    "(API $(( (ticks1 - ticks0) * 1000 / clk_tck )) ms CPU, PostgreSQL $(( (pg1 - pg0) * 1000 / clk_tck )) ms, lag reads included)"
}

start_sampler
catchups=$logs/catchups.tsv
echo -e "round\tlag_at_end\tcatch_up_s\tapi_cpu_ms\tpg_cpu_ms" >"$catchups"
log "create: warm-up ${WARMUP}s each, then $ROUNDS x (off, on) of ${DURATION}s, -t$THREADS -c$CONNECTIONS"
wrk_run create baseline "$WARMUP" "$logs/create-off-warmup.txt"
wrk_run create api "$WARMUP" "$logs/create-on-warmup.txt"
catch_up warmup >/dev/null
for round in $(seq "$ROUNDS"); do
  measure create baseline "$round"
  measure create api "$round"
  catch_up "$round"
done
stop_sampler

report=$results/analytics-latest.md
{
  echo "# bench/analytics.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs of POST /api/v1/instances/, $ROUNDS rounds off/on"
  echo "alternated after a ${WARMUP}s warm-up. \"on\" = Projections:Daemon=HotCold, \"off\" = Disabled (separate databases)."
  echo
  echo "| | daemon off | daemon on | on / off |"
  echo "| --- | ---: | ---: | ---: |"
  awk -F'\t' '
    $1 == "create" {
      n[$2]++; rps[$2] += $4; app[$2] += $8; pg[$2] += $9; bad += $6 + $7; if ($11 > other) other = $11
      runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
    }
    END {
      for (s in n) { rps[s] /= n[s]; app[s] /= n[s]; pg[s] /= n[s] }
      printf "| req/s (runs: off %s; on %s) | %.0f | %.0f | **%.2f** |\n", runs["baseline"], runs["api"], rps["baseline"], rps["api"], rps["api"] / rps["baseline"]
      printf "| CPU ms per request, API process | %.3f | %.3f | %.2f |\n", app["baseline"], app["api"], app["api"] / app["baseline"]
      printf "| CPU ms per request, PostgreSQL | %.3f | %.3f | %.2f |\n", pg["baseline"], pg["api"], pg["api"] / pg["baseline"]
      printf "| other load (max, cores) | %.2f | | |\n", other
      if (bad) printf "\nINVALID: %d non-2xx responses or socket errors.\n", bad
    }' "$runs"
  echo
  echo "The daemon after each \"on\" run: behind = X-Projection-Lag of the marketplace statistics at the run's end;"
  echo "catch-up = from that read until the lag read 0 (no requests running), and the CPU used meanwhile:"
  echo
  echo "| round | behind at the end | catch-up s | API CPU ms | PostgreSQL CPU ms |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$catchups"
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; wrk outputs and app logs in ${logs#"$repo"/}/)"
