#!/usr/bin/env bash
# bench/layers.sh: where the CPU of GET /api/v1/instances/<uuid>/ goes, layer by layer. The API itself (its own
# AddSharedcloud and UseSharedcloud, hosted by bench/Layers with probe endpoints around it) and the bare baseline
# run side by side on the bench cluster; wrk drives one layer at a time, after a settle phase, in rounds:
#
#   baseline host     the baseline's Kestrel + routing + a constant body (no database)
#   baseline get      the baseline's GET (bench/run.sh's "get" baseline)
#   api host          the API process, answered before its first middleware (constant body)
#   api pipeline      every middleware, routing and an anonymous endpoint (constant body)
#   api auth          the same under /api/v1, with the API key checked
#   api handler       the baseline's own GET handler and pool settings inside the API's pipeline and
#                     authentication, reading the API's read-model row by id
#   api get           the API's GET as it is
#
# Every constant body has the size of the API's GET body. It prints req/s, CPU per request (app, PostgreSQL)
# and each layer's CPU ratio to the baseline's GET: "handler" is the ceiling of bench/run.sh's get ratio for any
# read path inside this pipeline.
#
#   bench/layers.sh                        # ROUNDS=3 DURATION=10 SETTLE=15: ~7 minutes with the builds
#   ROUNDS=1 DURATION=5 SETTLE=5 bench/layers.sh
#   API_ARGS=--Projections:Daemon=Disabled bench/layers.sh   # extra configuration for the API side
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SETTLE=${SETTLE:-15}
check_knobs DURATION ROUNDS CONNECTIONS THREADS
[[ "$SETTLE" =~ ^[0-9]+$ ]] || die "SETTLE must be a whole number of seconds"

logs=$results/layers-logs
report=$results/layers-latest.md
bench_init
check_tools
start_pg bench_api bench_base

log "building bench/Layers (the API with probes) and the baseline (Release)"
build bench/Layers/Layers.csproj || die "bench/Layers does not build"
build bench/Baseline/Baseline.csproj || die "the baseline does not build"
rm -rf "$results/layers-app"
cp -a bench/Layers/bin/Release/net10.0 "$results/layers-app"
start_apps "$results/layers-app/Sharedcloud.Es.Bench.Layers.dll"

log "seeding: one instance on each side"
key=$(api_account bench-layers)
api_id=$(api_create "$key" bench-read)
base_id=$(base_create "$(cat /proc/sys/kernel/random/uuid)" bench-read)
[ -n "$key" ] && [ -n "$api_id" ] && [ -n "$base_id" ] || die "seeding returned no key or id"
get_bytes=$(curl -s -H "Authorization: Token $key" "$api_url/api/v1/instances/$api_id/" | wc -c)
for probe in /layers/host /layers/pipeline /api/v1/layers/auth "/api/v1/layers/baseline-handler/$api_id"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Token $key" "$api_url$probe")" = 200 ] \
    || die "the probe $probe does not answer 200"
done

layers=(baseline,host baseline,get api,host api,pipeline api,auth api,handler api,get)
wrk_args() {
  local auth=(-H "Authorization: Token $key")
  case "$2,$1" in
    baseline,host) args=("$base_url/layers/host") ;;
    baseline,get)  args=("$base_url/instances/$base_id") ;;
    api,host)      args=("${auth[@]}" "$api_url/layers/host") ;;
    api,pipeline)  args=("${auth[@]}" "$api_url/layers/pipeline") ;;
    api,auth)      args=("${auth[@]}" "$api_url/api/v1/layers/auth") ;;
    api,handler)   args=("${auth[@]}" "$api_url/api/v1/layers/baseline-handler/$api_id") ;;
    api,get)       args=("${auth[@]}" "$api_url/api/v1/instances/$api_id/") ;;
    *) die "unknown layer $2,$1" ;;
  esac
}

if [ "$SETTLE" -gt 0 ]; then
  log "settling: ${SETTLE}s of each layer, unmeasured (tiered JIT)"
  for layer in "${layers[@]}"; do
    wrk_run "${layer#*,}" "${layer%,*}" "$SETTLE" "$logs/${layer/,/-}-settle.txt"
  done
fi
start_sampler
for round in $(seq "$ROUNDS"); do
  for layer in "${layers[@]}"; do measure "${layer#*,}" "${layer%,*}" "$round"; done
done
stop_sampler

{
  echo "# bench/layers.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds (every layer once a round) after ${SETTLE}s of each."
  echo "API side: bench/Layers${API_ARGS:+ with $API_ARGS}. GET body $get_bytes bytes; every constant body is as long (361). Peak RSS: API $((api_hwm_kb / 1024)) MB, baseline $((base_hwm_kb / 1024)) MB."
  echo
  echo "CPU ratio = the baseline GET's (app + pg) CPU per request / the layer's: the get ratio bench/run.sh would"
  echo "report if the API's GET cost what this layer costs."
  echo
  echo "| side | layer | req/s | app ms | pg ms | CPU ratio to baseline get | runs (req/s) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' -v order="${layers[*]}" '
    NR > 1 {
      k = $2 "," $1; n[k]++; rps[k] += $4; app[k] += $8; pg[k] += $9
      runs[k] = runs[k] (runs[k] == "" ? "" : ", ") sprintf("%.0f", $4)
    }
    END {
      base = (app["baseline,get"] + pg["baseline,get"]) / n["baseline,get"]
      split(order, o, " ")
      for (i = 1; i in o; i++) {
        k = o[i]; split(k, part, ",")
        cpu = (app[k] + pg[k]) / n[k]
        ratio = cpu > 0 ? base / cpu : 0
        printf "| %s | %s | %.0f | %.3f | %.3f | %.2f | %s |\n", part[1], part[2], rps[k] / n[k], app[k] / n[k], pg[k] / n[k], ratio, runs[k]
      }
    }' "$runs"
} >"$report"
echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; logs in ${logs#"$repo"/}/)"
