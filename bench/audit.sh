#!/usr/bin/env bash
# Benchmarks the audit feed (GET /api/v1/audit/) on one account with 100,000 events, against the
# baseline's bare single-row GET (bench/Baseline), with wrk, A/B alternated as bench/run.sh does.
#
#   bench/audit.sh                         # defaults: ~6 minutes
#   DURATION=5 ROUNDS=1 bench/audit.sh     # a quicker try
#
# Env knobs: DURATION, ROUNDS, CONNECTIONS, THREADS, WARMUP as in run.sh (10, 2, 32, 2, 5);
#            EVENTS the measured account's events (100000), INSTANCES its instances (100),
#            OTHER_ACCOUNTS (100) and OTHER_EVENTS (100000) the rest of the event store,
#            DEEP how many events back the deep cursor page starts (50000), LATENCY seconds of
#            the one-connection latency run per scenario (5), SEED (0.42).
#
# It starts the bench cluster and both apps as run.sh does (database bench_api recreated empty),
# then through the API signs up one account, creates its INSTANCES instances and makes one change
# of each kind; bench/audit-fill.sql then writes the rest of its history and the other accounts' as
# Marten's append function does, copying the real rows; checks, two more appends through the API,
# VACUUM ANALYZE. It shows EXPLAIN (ANALYZE, BUFFERS) of the
# feed's SQL and measures: get (the API's single-instance GET, for reference), feed (first page,
# limit 100), feed_type (?type=instance_renamed, ~2 % of the events), feed_instance (?instance=),
# feed_deep (a cursor DEEP events back). Report: bench/results/audit-latest.md; wrk outputs, app
# logs, plans: bench/results/audit-logs/. Everything it started is stopped at exit. See bench/README.md.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # settings, cluster, build, apps, HTTP, wrk and CPU helpers

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-5}
EVENTS=${EVENTS:-100000}
INSTANCES=${INSTANCES:-100}
OTHER_ACCOUNTS=${OTHER_ACCOUNTS:-100}
OTHER_EVENTS=${OTHER_EVENTS:-100000}
DEEP=${DEEP:-50000}
LATENCY=${LATENCY:-5}
SEED=${SEED:-0.42}
check_knobs DURATION ROUNDS CONNECTIONS THREADS WARMUP EVENTS INSTANCES OTHER_ACCOUNTS OTHER_EVENTS DEEP LATENCY
[ "$EVENTS" -ge $((INSTANCES * 2 + 20)) ] || die "EVENTS is too small for $INSTANCES instances"
[ "$OTHER_EVENTS" -ge $((OTHER_ACCOUNTS * 12)) ] || die "OTHER_EVENTS must be at least 12 per other account"

logs=$results/audit-logs
wrk_options=(--latency)
slow_p50_ms=20 # a feed page slower than this at the median, one request at a time, needs a look
scenarios=(get feed feed_type feed_instance feed_deep)
declare -A what=(
  [get]='`GET /api/v1/instances/<uuid>/` (reference)'
  [feed]='`GET /api/v1/audit/` first page, limit 100'
  [feed_type]='`?type=instance_renamed&limit=100`'
  [feed_instance]='`?instance=<uuid>`'
  [feed_deep]="\`?cursor=\` $DEEP events back"
)

bench_init
check_tools
start_pg bench_api bench_base
build_apps
start_apps
api_psql() { psql -d bench_api "$@"; }

# --- seed through the API: the real rows the fill copies --------------------------------------
log "seeding through the API: 1 account, $INSTANCES instances, one change of each kind"
key=$(api_account bench-audit)
owner=$(http 200 -H "Authorization: Token $key" "$api_url/api/v1/users/account/" | json_field uuid)
instances=()
for i in $(seq -w 1 "$INSTANCES"); do
  instances+=("$(api_create "$key" "audit-$i")")
done
gpus=$(http 200 -H "Authorization: Token $key" "$api_url/api/v1/gpus/" | grep -o '"uuid":"[^"]*"' | cut -d'"' -f4)
gpu1=$(sed -n 1p <<<"$gpus")
gpu2=$(sed -n 2p <<<"$gpus")
patch() { # url form-fields...
  local url=$1 fields=() field
  shift
  for field in "$@"; do fields+=(--data-urlencode "$field"); done
  http 200 -X PATCH -H "Authorization: Token $key" "$url" "${fields[@]}" >/dev/null
}
first=$api_url/api/v1/instances/${instances[0]}/
second=$api_url/api/v1/instances/${instances[1]}/
patch "$first" name=audit-renamed
patch "$first" ask_price=0.05
patch "$first" max_num_parallel_jobs=2
patch "$second" type=gpu "gpu=$gpu1"
patch "$second" "gpu=$gpu2"
patch "$api_url/api/v1/users/account/" email=bench-audit+1@bench.example.com # also rotates the key
key=$(http 200 -X POST "$api_url/api/v1/api-token-auth/" --data-urlencode username=bench-audit \
  --data-urlencode "password=$password" | json_field token)
base_get_id=$(base_create "$(cat /proc/sys/kernel/random/uuid)" "bench-read")
[ -n "$key" ] && [ -n "$owner" ] && [ -n "$gpu2" ] && [ -n "$base_get_id" ] || die "seeding returned no key or id"

# --- fill: the rest of the history, as Marten's append function writes it ---------------------
log "filling: $EVENTS events for the account, $OTHER_EVENTS over $OTHER_ACCOUNTS other accounts (bench/audit-fill.sql)"
fill_start=$(date +%s)
api_psql -v owner="$owner" -v events=$((EVENTS - 2)) -v other_accounts="$OTHER_ACCOUNTS" -v other_events="$OTHER_EVENTS" \
  -v span_days=365 -v seed="$SEED" -f bench/audit-fill.sql >"$logs/fill.log"
# Every stream's versions run 1..mt_streams.version, and Marten appends on top: the API folds the
# first two instances (a CPU one and a GPU one at first) from their whole filled histories, which
# must deserialize and obey its rules, and appends version n + 1.
bad_streams=$(api_psql -Atc "select count(*) from sharedcloud.mt_streams s join (select stream_id, min(version) as low,
  max(version) as high, count(*) as n from sharedcloud.mt_events group by stream_id) e on e.stream_id = s.id
  where e.low <> 1 or e.high <> e.n or s.version <> e.high")
[ "$bad_streams" = 0 ] || die "$bad_streams streams have versions that do not match mt_streams (see $logs/fill.log)"
version=$(api_psql -Atc "select version from sharedcloud.mt_streams where id = '${instances[1]}'")
patch "$first" ask_price=0.06
patch "$second" ask_price=0.07
[ "$(api_psql -Atc "select max(version) from sharedcloud.mt_events where stream_id = '${instances[1]}'")" = $((version + 1)) ] \
  || die "the API's append on top of the filled stream ${instances[1]} did not make version $((version + 1))"
api_psql -c "VACUUM (ANALYZE) sharedcloud.mt_events" -c "VACUUM (ANALYZE) sharedcloud.mt_streams"
echo "   filled, checked (the API appended version $((version + 1)) to a filled stream) and analysed in $(($(date +%s) - fill_start)) s"
data_summary=$(api_psql -At -F' ' -c "
  select count(*) filter (where headers ->> 'owner_id' = '$owner'),
         count(*) filter (where headers ->> 'owner_id' = '$owner' and type = 'instance_renamed'),
         count(*) filter (where stream_id = '${instances[0]}'),
         count(*), count(distinct headers ->> 'owner_id'),
         round(pg_table_size('sharedcloud.mt_events') / 1048576.0), round(pg_relation_size('sharedcloud.mt_events_owner_seq') / 1048576.0)
  from sharedcloud.mt_events")
read -r n_owner n_renamed n_instance n_total n_owners table_size index_size <<<"$data_summary"
[ "$n_owner" = "$EVENTS" ] || die "the account has $n_owner events, not $EVENTS (see $logs/fill.log)"
data_line=$(awk -v o="$n_owner" -v r="$n_renamed" -v i="$n_instance" -v t="$n_total" -v a="$n_owners" \
  -v ts="$table_size" -v is="$index_size" 'BEGIN {
    printf "data: %d events for the account (%d instance_renamed, %.1f %%; %d on the ?instance= one), %d in mt_events over %d accounts; mt_events %d MB, index mt_events_owner_seq %d MB",
      o, r, 100 * r / o, i, t, a, ts, is }')
echo "   $data_line"
api_psql -c "select type, count(*) as events from sharedcloud.mt_events where headers ->> 'owner_id' = '$owner' group by type order by 2 desc" \
  >"$logs/types.txt"

# --- the deep cursor: follow Link rel="next" (1000 a page) until DEEP events back --------------
log "following the feed's Link: rel=\"next\" $((DEEP / 1000)) pages of 1000 back"
next=$api_url/api/v1/audit/?limit=1000
pages=0
while [ $((pages * 1000)) -lt "$DEEP" ]; do
  link=$(curl -s -o /dev/null -D - -H "Authorization: Token $key" "$next" | tr -d '\r' | sed -n 's/^[Ll]ink: <\([^>]*\)>; rel="next"$/\1/p')
  [ -n "$link" ] || die "page $((pages + 1)) of the feed has no Link: rel=\"next\""
  next=$link
  pages=$((pages + 1))
done
cursor=$(sed -n 's/.*[?&]cursor=\([0-9]*\).*/\1/p' <<<"$next")
newer=$(api_psql -Atc "select count(*) from sharedcloud.mt_events where headers ->> 'owner_id' = '$owner' and seq_id >= $cursor")
[ "$newer" = "$DEEP" ] || die "the cursor after $pages pages is $newer events back, not $DEEP"
echo "   cursor=$cursor ($newer newer events)"

wrk_args() {
  local auth=(-H "Authorization: Token $key") feed=$api_url/api/v1/audit/
  case "$1,$2" in
    *,baseline)        args=("$base_url/instances/$base_get_id") ;;
    get,api)           args=("${auth[@]}" "$api_url/api/v1/instances/${instances[0]}/") ;;
    feed,api)          args=("${auth[@]}" "$feed") ;;
    feed_type,api)     args=("${auth[@]}" "$feed?type=instance_renamed&limit=100") ;;
    feed_instance,api) args=("${auth[@]}" "$feed?instance=${instances[0]}") ;;
    feed_deep,api)     args=("${auth[@]}" "$feed?cursor=$cursor") ;;
    *) die "unknown scenario $1,$2" ;;
  esac
}

# Check every request once: 200, a full page of 100, and its size.
sizes="response bytes (items):"
for scenario in "${scenarios[@]}"; do
  args=()
  wrk_args "$scenario" api
  body=$(http 200 "${args[@]}")
  items=$(grep -o '"correlation_id"' <<<"$body" | wc -l || true)
  [ "$scenario" = get ] || [ "$items" = 100 ] || die "$scenario: $items items instead of 100"
  sizes="$sizes $scenario ${#body}$([ "$scenario" = get ] || echo " ($items)"),"
done
sizes="${sizes%,}; baseline GET $(http 200 "$base_url/instances/$base_get_id" | wc -c)"
echo "   $sizes"

# --- plans: the SQL the API sent (its last statement in pg_stat_activity), EXPLAINed -----------
# Each scenario's request is sent once; the newest feed statement of the API's connections is then
# prepared with the parameter types Npgsql sends and explained with that request's values.
log "EXPLAIN (ANALYZE, BUFFERS) of the feed's SQL as the API sent it"
explain() { # title scenario parameter-types parameter-values
  local args=() authorization="" sql
  wrk_args "$2" api
  http 200 "${args[@]}" >/dev/null
  sql=$(api_psql -At -c "select query from pg_stat_activity where datname = 'bench_api' and pid <> pg_backend_pid()
    and query like '%from sharedcloud.mt_events%owner_id%' order by query_start desc limit 1")
  [ -n "$sql" ] || die "no feed statement in pg_stat_activity after $2"
  echo "-- $1"
  echo "   $sql"
  api_psql -At -c "PREPARE q($3) AS $sql" -c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q($4)" | sed 's/^/   /'
}
other=$(api_psql -Atc "select stream_id from sharedcloud.mt_events where type = 'account_registered' and stream_id <> '$owner' limit 1")
{
  explain "(a) first page: GET /api/v1/audit/" feed "text, int" "'$owner', 101"
  explain "(b) ?type=instance_renamed&limit=100" feed_type "text, text[], int" "'$owner', '{instance_renamed}', 101"
  explain "(b) ?instance=<uuid>" feed_instance "text, uuid, int" "'$owner', '${instances[0]}', 101"
  explain "(c) ?cursor= $DEEP events back" feed_deep "text, bigint, int" "'$owner', $cursor, 101"
  explain "(a) the same SQL for one of the other accounts ($((OTHER_EVENTS / OTHER_ACCOUNTS)) events)" feed "text, int" "'$other', 101"
} | tee "$logs/explain.txt"

# --- run --------------------------------------------------------------------------------------
percentiles() { # wrk --latency output -> "p50<TAB>p99" in ms
  awk 'function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v ~ /m$/ ? v * 60000 : v * 1000 }
       $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
       END { printf "%.2f\t%.2f\n", p50, p99 }' "$1"
}
# one_by_one SCENARIO SIDE: LATENCY seconds with a single connection, one request at a time: the
# latency of a request without the queueing of the CONNECTIONS runs.
one_by_one() {
  local args=() authorization="" out=$logs/$1-$2-c1.txt
  wrk_args "$1" "$2"
  wrk -t1 -c1 "-d${LATENCY}s" --latency "${args[@]}" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed for $1 on $2"; }
  echo -e "$1\t$2\tc1\t$(percentiles "$out")\t$(awk '/^Requests\/sec:/ { print $2 }' "$out")" >>"$logs/latency.tsv"
}

echo -e "scenario\tside\tround\tp50_ms\tp99_ms\treq_per_s" >"$logs/latency.tsv"
start_sampler
for scenario in "${scenarios[@]}"; do
  run_scenario "$scenario"
  for round in $(seq "$ROUNDS"); do
    for side in baseline api; do
      echo -e "$scenario\t$side\t$round\t$(percentiles "$logs/$scenario-$side-$round.txt")\t" >>"$logs/latency.tsv"
    done
  done
  [ "$scenario" != get ] || one_by_one get baseline
  one_by_one "$scenario" api
  awk -F'\t' -v s="$scenario" '$1 == s && $3 == "c1" {
      printf "   %-13s %-8s one connection: latency p50 %.2f ms, p99 %.2f ms (%.0f req/s)\n", $1, $2, $4, $5, $6 }
    $1 == s && $3 != "c1" {
      printf "   %-13s %-8s round %s: latency p50 %.2f ms, p99 %.2f ms\n", $1, $2, $3, $4, $5 }' "$logs/latency.tsv"
done
stop_sampler

# --- report -----------------------------------------------------------------------------------
report=$results/audit-latest.md
{
  echo "# bench/audit.sh results"
  echo
  commit_line
  echo "$(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a ${WARMUP}s warm-up;"
  echo "the baseline side of every row is the bare single-row GET (\`GET /instances/<uuid>\`)."
  echo "$data_line."
  echo "$sizes."
  echo
  echo "| scenario | API request | baseline GET req/s | API req/s | API / baseline | API p50 / p99 ms, -c$CONNECTIONS | API p50 / p99 ms, one connection | notes | runs (baseline; API) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  for scenario in "${scenarios[@]}"; do
    awk -F'\t' -v s="$scenario" -v w="${what[$scenario]}" -v slow="$slow_p50_ms" '
      FILENAME ~ /latency/ && $1 == s && $3 == "c1" { c50[$2] = $4; c99[$2] = $5; next }
      FILENAME ~ /latency/ && $1 == s { p50[$2] += $4; p99[$2] += $5; m[$2]++; next }
      FILENAME ~ /runs/ && $1 == s {
        n[$2]++; sum[$2] += $4; bad[$2] += $6; sock[$2] += $7; if ($11 > other) other = $11
        runs[$2] = runs[$2] (runs[$2] == "" ? "" : ", ") sprintf("%.0f", $4)
      }
      END {
        b = sum["baseline"] / n["baseline"]; a = sum["api"] / n["api"]
        notes = ""
        if (s != "get" && c50["api"] > slow) notes = sprintf("SLOW (p50 > %d ms)", slow)
        if (other > 0.2) notes = notes (notes == "" ? "" : "; ") sprintf("noisy: other load up to %.1f cores", other)
        if (sock["api"] + sock["baseline"])
          notes = notes (notes == "" ? "" : "; ") sprintf("socket errors: API %d, baseline %d", sock["api"], sock["baseline"])
        if (bad["api"] + bad["baseline"])
          notes = sprintf("INVALID: non-2xx responses (API %d, baseline %d)", bad["api"], bad["baseline"])
        printf "| %s | %s | %.0f | %.0f | %.3f | %.1f / %.1f | %.1f / %.1f | %s | %s; %s |\n",
          s, w, b, a, b ? a / b : 0, p50["api"] / m["api"], p99["api"] / m["api"], c50["api"], c99["api"], notes,
          runs["baseline"], runs["api"]
      }' "$logs/latency.tsv" "$runs"
  done
  awk -F'\t' '$1 == "get" && $2 == "baseline" && $3 == "c1" {
      printf "\nThe baseline GET, one connection: p50 %.2f ms, p99 %.2f ms (%.0f req/s).\n", $4, $5, $6 }' "$logs/latency.tsv"
  awk -F'\t' -v hwm="$api_hwm_kb" 'NR > 1 && $2 > peak { peak = $2 }
    END { printf "\nAPI peak RSS during the runs %.0f MB (VmHWM %.0f MB, seeding included).\n", peak / 1024, hwm / 1024 }' "$mem_log"
  echo
  echo "CPU per request in ms (means over the measured runs; app = the .NET process, pg = the bench cluster;"
  echo "the baseline columns are its single-row GET in every row). Other load: CPU, in cores, used by anything"
  echo "else during a run (see bench/README.md); above ~0.2 the req/s are disturbed."
  echo
  cpu_table "${scenarios[@]}"
  echo
  echo "Plans (EXPLAIN (ANALYZE, BUFFERS) of the feed's SQL, taken before the runs):"
  echo
  echo '```'
  cat "$logs/explain.txt"
  echo '```'
} >"$report"

echo
cat "$report"
echo
echo "(written to ${report#"$repo"/}; wrk outputs, app logs, plans and samples in ${logs#"$repo"/}/)"
