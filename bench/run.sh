#!/usr/bin/env bash
# Benchmarks the API against a bare baseline (bench/Baseline: ASP.NET Core + Npgsql, same JSON) with wrk.
#
#   bench/run.sh                        # defaults: DURATION=10 ROUNDS=2 CONNECTIONS=32
#   DURATION=5 ROUNDS=1 bench/run.sh    # a quick try
#
# Env knobs: DURATION   seconds per measured wrk run (10)
#            ROUNDS     baseline/API pairs per scenario, alternated A/B (2)
#            CONNECTIONS wrk -c (32); THREADS wrk -t (2); WARMUP seconds of the unmeasured first run (3)
#            SETTLE     seconds of each scenario per side, unmeasured, before any measurement (15; 0: none)
#            API_ARGS   extra configuration for the API, as arguments (e.g. API_ARGS=--Projections:Daemon=Disabled)
#            SCENARIOS  which of "get list20 create patch64 patch1 patch10k" to run (all by default)
#            PROJECTION_WAIT  seconds to wait, before each scenario, for the API's asynchronous projections to catch
#                       up with the events appended so far (180)
#
# It starts a dedicated PostgreSQL (.local/bench-pg, port 55433, databases bench_api and bench_base,
# recreated empty on every run), builds both apps in Release, starts the API (from a copy of its
# build in bench/results/app/) on 127.0.0.1:5101 and the baseline on 127.0.0.1:5102, seeds both,
# runs the scenarios get, list20 and create, and prints markdown tables: req/s and ratios against
# the goals, memory, and CPU per request (also written to bench/results/latest.md; wrk outputs, app
# logs and samples go to bench/results/logs/). Everything it started is stopped at exit (trap).
# Traffic goes to 127.0.0.1 only. See bench/README.md; the shared helpers are in bench/lib.sh.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # settings, cluster, build, apps, HTTP, wrk and CPU helpers

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3}
SETTLE=${SETTLE:-15}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP
[[ "$SETTLE" =~ ^[0-9]+$ ]] || { echo "$bench_name: SETTLE must be a whole number of seconds" >&2; exit 2; }

mem_goal_mb=250

# scenario -> goal for API req/s divided by baseline req/s
# (patch10k: PATCHes of one instance with 10,000 events against the baseline's of one row; its goal is that of
# patch1, and the report also gives its ratio to patch1's: the cost of a long history.)
declare -A goal=([get]=0.85 [list20]=0.7 [create]=0.4 [patch64]=0.5 [patch1]=0.4 [patch10k]=0.4)
read -r -a scenarios <<< "${SCENARIOS:-get list20 create patch64 patch1 patch10k}"
for scenario in "${scenarios[@]}"; do
  [ -n "${goal[$scenario]:-}" ] || { echo "$bench_name: unknown scenario '$scenario' (${!goal[*]})" >&2; exit 2; }
done
wants() { [[ " ${scenarios[*]} " == *" $1 "* ]]; }

bench_init
check_tools
start_pg bench_api bench_base
projection_dbs=bench_api # the API's asynchronous projections catch up before each scenario (bench/lib.sh)
build_apps
start_apps

# --- seed -------------------------------------------------------------------------------------
log "seeding: 1 instance to read, 20 to list, a third account for creates (both sides)"
key_get=$(api_account bench-get)
key_list=$(api_account bench-list)
key_create=$(api_account bench-create)
owner_get=$(cat /proc/sys/kernel/random/uuid)
owner_list=$(cat /proc/sys/kernel/random/uuid)
owner_create=$(cat /proc/sys/kernel/random/uuid)
api_get_id=$(api_create "$key_get" "bench-read")
base_get_id=$(base_create "$owner_get" "bench-read")
for i in $(seq -w 1 20); do
  api_create "$key_list" "bench-list-$i" >/dev/null
  base_create "$owner_list" "bench-list-$i" >/dev/null
done
[ -n "$key_get" ] && [ -n "$key_list" ] && [ -n "$key_create" ] && [ -n "$api_get_id" ] && [ -n "$base_get_id" ] \
  || die "seeding returned no key or id"

# The PATCH scenarios: 64 instances (patch64 spreads its clients over them, patch1 puts them all on the first), and
# for patch10k one instance given 10,000 events first (price changes, by curl in parallel from one process).
key_patch=$(api_account bench-patch)
owner_patch=$(cat /proc/sys/kernel/random/uuid)
api_patch_ids=() base_patch_ids=()
if wants patch64 || wants patch1 || wants patch10k; then
  log "seeding: 64 instances to change (both sides)"
  for i in $(seq -w 1 64); do
    api_patch_ids+=("$(api_create "$key_patch" "bench-patch-$i")")
    base_patch_ids+=("$(base_create "$owner_patch" "bench-patch-$i")")
  done
fi
api_long_id=""
if wants patch10k; then
  log "seeding: one instance with 10,000 events"
  api_long_id=$(api_create "$key_patch" "bench-patch-long")
  config=$logs/patch10k-seed.curl
  for i in $(seq 1 9999); do
    [ "$i" = 1 ] || echo next
    printf 'url = "%s/api/v1/instances/%s/"\nrequest = "PATCH"\nheader = "Authorization: Token %s"\ndata = "ask_price=%d.%03d"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$api_url" "$api_long_id" "$key_patch" $((i % 10)) $((i % 1000 + 1))
  done >"$config"
  statuses=$(curl -s --no-progress-meter --parallel --parallel-max 8 -K "$config" | sort | uniq -c) || die "seeding the long instance: curl failed"
  [ "$(tr -s ' ' <<<"$statuses" | sed 's/^ //')" = "9999 200" ] || die "seeding the long instance: $statuses"
  version=$(curl -s -D - -o /dev/null -H "Authorization: Token $key_patch" "$api_url/api/v1/instances/$api_long_id/" \
    | sed -n 's/^[Ee][Tt]ag: "\([0-9]*\)".*/\1/p')
  [ "$version" = 10000 ] || die "the long instance is at version ${version:-?}, not 10000"
fi

# wrk_args SCENARIO SIDE: what each scenario requests, as wrk arguments (in the array "args"; the
# API's create also sets "authorization", which bench/post.lua sends). The create runs go to their
# own account/owner, so the list stays at exactly 20 instances.
wrk_args() {
  case "$1,$2" in
    get,api)         args=(-H "Authorization: Token $key_get" "$api_url/api/v1/instances/$api_get_id/") ;;
    get,baseline)    args=("$base_url/instances/$base_get_id") ;;
    list20,api)      args=(-H "Authorization: Token $key_list" "$api_url/api/v1/instances/") ;;
    list20,baseline) args=("$base_url/instances?owner=$owner_list") ;;
    create,api)      args=(-s bench/post.lua "$api_url/api/v1/instances/"); authorization="Token $key_create" ;;
    create,baseline) args=(-s bench/post.lua "$base_url/instances?owner=$owner_create") ;;
    patch64,api)     args=(-s bench/patch.lua "$api_url"); authorization="Token $key_patch"; ids="${api_patch_ids[*]}"
                     path="/api/v1/instances/{id}/" ;;
    patch64,baseline) args=(-s bench/patch.lua "$base_url"); ids="${base_patch_ids[*]}"; path="/instances/{id}" ;;
    patch1,api)      args=(-s bench/patch.lua "$api_url"); authorization="Token $key_patch"; ids="${api_patch_ids[0]}"
                     path="/api/v1/instances/{id}/" ;;
    patch1,baseline|patch10k,baseline) args=(-s bench/patch.lua "$base_url"); ids="${base_patch_ids[0]}"; path="/instances/{id}" ;;
    patch10k,api)    args=(-s bench/patch.lua "$api_url"); authorization="Token $key_patch"; ids="$api_long_id"
                     path="/api/v1/instances/{id}/" ;;
    *) die "unknown scenario $1,$2" ;;
  esac
}

# Check the seeded responses once, and show their sizes (both sides send the same documents).
get_api=$(http 200 -H "Authorization: Token $key_get" "$api_url/api/v1/instances/$api_get_id/")
get_base=$(http 200 "$base_url/instances/$base_get_id")
list_api=$(http 200 -H "Authorization: Token $key_list" "$api_url/api/v1/instances/")
list_base=$(http 200 "$base_url/instances?owner=$owner_list")
[ "$(count_objects <<<"$list_api")" = 20 ] || die "the API lists $(count_objects <<<"$list_api") instances, not 20"
[ "$(count_objects <<<"$list_base")" = 20 ] || die "the baseline lists $(count_objects <<<"$list_base") instances, not 20"
sizes="response bytes (API / baseline): get ${#get_api} / ${#get_base}, list20 ${#list_api} / ${#list_base}"
echo "$sizes"

# --- run --------------------------------------------------------------------------------------
settle "${scenarios[@]}"
start_sampler
for scenario in "${scenarios[@]}"; do
  run_scenario "$scenario"
done
stop_sampler

# --- report -----------------------------------------------------------------------------------
report=$results/latest.md
{
  echo "# bench/run.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a ${WARMUP}s warm-up (and ${SETTLE}s of each scenario per side before all)."
  echo "$sizes."
  [ -z "${API_ARGS:-}" ] || echo "API started with: $API_ARGS."
  echo
  echo "| scenario | baseline req/s | API req/s | API / baseline | goal | result | runs (baseline; API) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
  for scenario in "${scenarios[@]}"; do
    awk -F'\t' -v s="$scenario" -v g="${goal[$scenario]}" '
      $1 == s {
        n[$2]++; sum[$2] += $4; bad[$2] += $6; sock[$2] += $7; if ($11 > other) other = $11
        runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
      }
      END {
        b = sum["baseline"] / n["baseline"]; a = sum["api"] / n["api"]; ratio = b ? a / b : 0
        result = ratio >= g ? "PASS" : "MISS"
        if (other > 0.2) result = result sprintf(" (noisy: other load up to %.1f cores)", other)
        if (sock["api"] + sock["baseline"])
          result = result sprintf(" (socket errors: API %d, baseline %d)", sock["api"], sock["baseline"])
        # A fast error response would pass for throughput: no verdict then.
        if (bad["api"] + bad["baseline"])
          result = sprintf("INVALID: non-2xx responses (API %d, baseline %d)", bad["api"], bad["baseline"])
        printf "| %s | %.0f | %.0f | %.2f | >= %s | %s | %s; %s |\n", s, b, a, ratio, g, result, runs["baseline"], runs["api"]
      }' "$runs"
  done
  if wants patch1 && wants patch10k; then
    awk -F'\t' '$1 == "patch1" || $1 == "patch10k" { n[$1 "," $2]++; sum[$1 "," $2] += $4 }
      END {
        r1 = (sum["patch1,api"] / n["patch1,api"]) / (sum["patch1,baseline"] / n["patch1,baseline"])
        r10k = (sum["patch10k,api"] / n["patch10k,api"]) / (sum["patch10k,baseline"] / n["patch10k,baseline"])
        printf "| patch10k / patch1 (a PATCH after 10,000 events against one after few) | | | %.2f | >= 0.9 | %s | ratios %.2f / %.2f |\n",
          r10k / r1, (r10k / r1 >= 0.9 ? "PASS" : "MISS"), r10k, r1
      }' "$runs"
  fi
  awk -F'\t' -v hwm="$api_hwm_kb" -v goal="$mem_goal_mb" '
    NR > 1 && $2 > peak { peak = $2 }
    END {
      printf "| memory: API peak RSS (VmHWM %.0f MB) | | %.0f MB | | < %d MB | %s | sampled each second during the runs |\n",
        hwm / 1024, peak / 1024, goal, (peak / 1024 < goal && hwm / 1024 < goal) ? "PASS" : "MISS"
    }' "$mem_log"
  echo
  echo "CPU per request in ms (means over the measured runs; app = the .NET process, pg = the bench cluster)."
  echo "CPU ratio = baseline (app + pg) / API (app + pg): the share of the baseline's throughput the API would"
  echo "reach if app and database had the cores to themselves. Other load = the most CPU, in cores, used during"
  echo "one of the scenario's runs by anything but the measured app, the cluster and wrk (the idle app's"
  echo "background work included); above ~0.2 the req/s above are disturbed."
  echo
  cpu_table "${scenarios[@]}"
  awk -F'\t' -v hwm="$base_hwm_kb" 'NR > 1 && $3 > peak { peak = $3 }
    END { printf "\nBaseline peak RSS %.0f MB (VmHWM %.0f MB), for comparison.\n", peak / 1024, hwm / 1024 }' "$mem_log"
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; wrk outputs, app logs and samples in ${logs#"$repo"/}/)"
