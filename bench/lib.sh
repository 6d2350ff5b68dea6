# bench/lib.sh: what bench/run.sh and bench/audit.sh share. Sourced (after `set -euo pipefail`),
# never run. It defines settings and functions only; each script calls them in its own order:
#
#   source bench/lib.sh
#   check_knobs DURATION ROUNDS ...   # positive integers, or exit 2
#   bench_init                         # fresh $logs, the cleanup trap
#   check_tools; start_pg bench_api bench_base; build_apps; start_apps
#   ... seed, define wrk_args (below) ...
#   start_sampler; run_scenario NAME...; stop_sampler
#
# A script may change $logs before bench_init, and sets wrk_options (extra wrk arguments) as it likes.
#
# The script supplies `wrk_args SCENARIO SIDE`, which sets the array `args` to the wrk arguments of
# one request (URL last), and may set `authorization` (exported to bench/post.lua as
# BENCH_AUTHORIZATION). SIDE is "api" or "baseline".

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

bench_name=$(basename "$0")
pg_dir=$repo/.local/bench-pg
pg_port=55433
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) # as scripts/pg.sh finds it
api_port=5101
base_port=5102
api_url=http://127.0.0.1:$api_port
base_url=http://127.0.0.1:$base_port
results=$repo/bench/results
logs=$results/logs
password=bench-passphrase-123
wrk_options=()

die() { echo "$bench_name: $*" >&2; exit 1; }
log() { echo "== $*"; }

check_knobs() { # NAME... : each must hold a positive integer
  local knob
  for knob in "$@"; do
    [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || { echo "$bench_name: $knob must be a positive integer" >&2; exit 2; }
  done
}

# --- cleanup: stop whatever the script started -----------------------------------------------
api_pid="" base_pid="" sampler_pid="" pg_started="" extra_pids=""
cleanup() {
  local status=$?
  for pid in $sampler_pid $api_pid $base_pid ${extra_pids:-}; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $sampler_pid $api_pid $base_pid ${extra_pids:-}; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$pg_started" ]; then
    bash scripts/pg.sh stop --dir "$pg_dir" --port "$pg_port" >/dev/null || true
  fi
  exit "$status"
}

bench_init() { # fresh logs folder; stop everything at exit, however the script ends
  rm -rf "$logs"
  mkdir -p "$logs"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# --- tools ------------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
check_tools() { # wrk (installed when missing and root), dotnet, curl, psql; both app ports free
  local tool port
  if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    [ "$(id -u)" -eq 0 ] || die "wrk is missing; install it (apt-get install wrk) or run as root"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  fi
  for tool in dotnet curl "$pg_bin/psql"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
  done
  for port in $api_port $base_port; do
    ! port_in_use "$port" || die "port $port is already in use on 127.0.0.1"
  done
}

# --- PostgreSQL -------------------------------------------------------------------------------
psql() { "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
pg_url() { echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$1"; }

start_pg() { # DATABASE... : start the bench cluster and recreate these databases empty
  local db
  log "PostgreSQL: $pg_dir, port $pg_port"
  bash scripts/pg.sh start --dir "$pg_dir" --port "$pg_port" >/dev/null
  pg_started=1
  for db in "$@"; do
    psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  done
  pg_postmaster=$(head -n 1 "$pg_dir/data/postmaster.pid")
}

# --- build (others may be editing src/: retry a failed build after a pause) ------------------
build() { # PROJECT
  local project=$1 attempt
  for attempt in 1 2 3; do
    if dotnet build -c Release -nologo -v q "$project" >"$logs/build-$(basename "$project" .csproj).log" 2>&1; then
      return 0
    fi
    echo "build of $project failed (attempt $attempt), see $logs/build-$(basename "$project" .csproj).log" >&2
    [ "$attempt" -eq 3 ] || sleep 60
  done
  return 1
}

# Run the API from a copy of its Release output: others' builds (scripts/test.sh builds the .sln in
# Release) may rewrite src/Api/bin/Release while the benchmark runs.
build_api_copy() { # DEST: builds the API in Release and copies its output to the folder DEST (replaced)
  build src/Api/Sharedcloud.Es.Api.csproj || die "the API does not build"
  rm -rf "$1"
  mkdir -p "$(dirname "$1")"
  cp -a src/Api/bin/Release/net10.0 "$1"
}
build_apps() { # the API and the baseline, in Release; the API runs from a copy in $results/app/api
  log "building (Release)"
  build_api_copy "$results/app/api"
  build bench/Baseline/Baseline.csproj || die "the baseline does not build"
}

# --- start both apps --------------------------------------------------------------------------
secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
# The API's per-account rate limits are raised so that a fast machine never gets a 429 from a bench's few
# accounts; the limiter still runs on every request (bench/overhead.sh measures what it costs).
# Each app runs in its own folder, as a deployed one does: ASP.NET Core watches its working folder (the content
# root) for configuration changes, and the repository holds the bench cluster's data files, so run from here
# the app would read a file-change event for every PostgreSQL write (~5% of its CPU in a profile of creates).
start_app() { # name port database dll [arguments...]; the PID is in $!
  ConnectionStrings__Postgres=$(pg_url "$3") Auth__TokenSecret=$secret ASPNETCORE_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning RateLimits__Reads__PermitLimit=1000000000 RateLimits__Writes__PermitLimit=1000000000 \
    in_folder_of "$4" --urls "http://127.0.0.1:$2" "${@:5}" >"$logs/$1.log" 2>&1 &
}
in_folder_of() { # dll args...: runs `dotnet dll args...` from the dll's folder (exec: the caller's $! is dotnet)
  local dll
  dll=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  shift
  cd "$(dirname "$dll")" && exec dotnet "$dll" "$@"
}
wait_ready() { # name pid url
  local i
  for i in $(seq 120); do
    kill -0 "$2" 2>/dev/null || { tail -n 30 "$logs/$1.log" >&2; die "$1 exited during start-up"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$3")" = 200 ] && return 0
    sleep 0.5
  done
  tail -n 30 "$logs/$1.log" >&2
  die "$1 not ready after 60 s"
}
start_apps() { # [API_DLL]: the API (this build, or the host given) on bench_api, the baseline on bench_base; waits for both
  log "starting the API on $api_url and the baseline on $base_url"
  # shellcheck disable=SC2086 # API_ARGS is a list of arguments
  start_app api $api_port bench_api "${1:-$results/app/api/Sharedcloud.Es.Api.dll}" ${API_ARGS:-}
  api_pid=$!
  start_app baseline $base_port bench_base bench/Baseline/bin/Release/net10.0/Sharedcloud.Es.Bench.Baseline.dll
  base_pid=$!
  wait_ready api "$api_pid" "$api_url/health/ready"
  wait_ready baseline "$base_pid" "$base_url/instances?owner=00000000-0000-0000-0000-000000000000"
}

# --- HTTP and JSON ----------------------------------------------------------------------------
# http EXPECTED_STATUS curl-args... : prints the body; dies on another status
http() {
  local expected=$1 body status
  shift
  body=$(mktemp)
  status=$(curl -s -o "$body" -w '%{http_code}' "$@") || true
  if [ "$status" != "$expected" ]; then
    echo "expected $expected, got $status from: curl $*" >&2
    cat "$body" >&2; echo >&2
    rm -f "$body"
    die "seeding failed"
  fi
  cat "$body"
  rm -f "$body"
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }
count_objects() { grep -o '"uuid"' | wc -l; }

api_account() { # name -> API key
  http 201 -X POST "$api_url/api/v1/users/" --data-urlencode "username=$1" \
    --data-urlencode "email=$1@bench.example.com" --data-urlencode "password=$password" >/dev/null
  http 200 -X POST "$api_url/api/v1/api-token-auth/" --data-urlencode "username=$1" \
    --data-urlencode "password=$password" | json_field token
}
api_create() { # key name -> uuid
  http 201 -X POST "$api_url/api/v1/instances/" -H "Authorization: Token $1" \
    --data-urlencode "name=$2" -d ask_price=0.02 | json_field uuid
}
base_create() { # owner name -> uuid
  http 201 -X POST "$base_url/instances?owner=$1" --data-urlencode "name=$2" -d ask_price=0.02 | json_field uuid
}

# --- two API processes side by side (bench/overhead.sh, bench/ab.sh) -------------------------------
# seed_pair: both are the API (one on $api_url, the "api" side of the A/B loop; one on $base_url, its
# "baseline" side), seeded alike: an account with 1 instance to read, one with the 20 to list, one for
# the creates. Then `wrk_args() { pair_wrk_args "$@"; }` drives both with the same three scenarios.
seed_pair() {
  local which url i
  declare -gA key_get key_list key_create get_id key_patch patch_ids
  log "seeding both: 1 instance to read, 20 to list, a third account for creates, 64 instances to change"
  for which in api baseline; do
    url=$api_url
    [ "$which" = api ] || url=$base_url
    key_get[$which]=$(api_url=$url api_account bench-get)
    key_list[$which]=$(api_url=$url api_account bench-list)
    key_create[$which]=$(api_url=$url api_account bench-create)
    get_id[$which]=$(api_url=$url api_create "${key_get[$which]}" bench-read)
    for i in $(seq -w 1 20); do api_url=$url api_create "${key_list[$which]}" "bench-list-$i" >/dev/null; done
    key_patch[$which]=$(api_url=$url api_account bench-patch)
    patch_ids[$which]=""
    for i in $(seq -w 1 64); do patch_ids[$which]+="$(api_url=$url api_create "${key_patch[$which]}" "bench-patch-$i") "; done
    [ -n "${key_get[$which]}" ] && [ -n "${key_list[$which]}" ] && [ -n "${key_create[$which]}" ] \
      && [ -n "${get_id[$which]}" ] || die "seeding the $which side returned no key or id"
  done
}
pair_wrk_args() { # SCENARIO SIDE
  local url=$api_url
  [ "$2" = api ] || url=$base_url
  case "$1" in
    get)    args=(-H "Authorization: Token ${key_get[$2]}" "$url/api/v1/instances/${get_id[$2]}/") ;;
    list20) args=(-H "Authorization: Token ${key_list[$2]}" "$url/api/v1/instances/") ;;
    create) args=(-s bench/post.lua "$url/api/v1/instances/"); authorization="Token ${key_create[$2]}" ;;
    patch64|patch1)
            args=(-s bench/patch.lua "$url"); authorization="Token ${key_patch[$2]}"; path="/api/v1/instances/{id}/"
            ids=${patch_ids[$2]}
            [ "$1" = patch64 ] || ids=${ids%% *} ;;
    *) die "unknown scenario $1" ;;
  esac
}

# --- measurement helpers ----------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
proc_ticks() { # pid [with_children_waited] -> utime+stime(+cutime+cstime) in clock ticks
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) } # fields from "state" on: utime is the 12th
  awk -v all="${2:-}" '{ print $12 + $13 + (all ? $14 + $15 : 0) }' <<<"$stat"
}
pg_ticks() { # the bench cluster: postmaster (with reaped children) and every live child
  local before after total child
  # A backend that exits and is reaped while the children are read would be counted nowhere (and
  # then in full at the next sample): read again until the postmaster's count did not move meanwhile.
  while true; do
    before=$(proc_ticks "$pg_postmaster" all)
    total=$before
    for child in $(pgrep -P "$pg_postmaster" || true); do
      total=$((total + $(proc_ticks "$child")))
    done
    after=$(proc_ticks "$pg_postmaster" all)
    [ "$before" != "$after" ] || break
  done
  echo "$total"
}
mem_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null || echo 0; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $9; exit }' /proc/stat; } # machine: user nice system steal

# Memory: RSS of both apps every second while wrk runs (start_sampler ... stop_sampler).
sample_memory() {
  echo -e "time\tapi_rss_kb\tbaseline_rss_kb" >"$mem_log"
  while true; do
    echo -e "$(date +%s)\t$(mem_kb "$api_pid" VmRSS)\t$(mem_kb "$base_pid" VmRSS)" >>"$mem_log"
    sleep 1
  done
}
start_sampler() {
  mem_log=$logs/memory.tsv
  runs=$logs/runs.tsv
  echo -e "scenario\tside\tround\treq_per_s\trequests\tnon2xx\tsocket_errors\tapp_ms_per_req\tpg_ms_per_req\twrk_ms_per_req\tother_cores\tidle_app_cores" >"$runs"
  sample_memory &
  sampler_pid=$!
}
stop_sampler() { # also records both apps' VmHWM in api_hwm_kb and base_hwm_kb
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  api_hwm_kb=$(mem_kb "$api_pid" VmHWM)
  base_hwm_kb=$(mem_kb "$base_pid" VmHWM)
}

# --- wrk --------------------------------------------------------------------------------------
# wrk_run SCENARIO SIDE SECONDS OUTPUT: wrk's output goes to OUTPUT, its CPU seconds (user sys) to OUTPUT.time
wrk_run() {
  local args=() authorization="" ids="" path="" TIMEFORMAT="%3U %3S"
  wrk_args "$1" "$2" # sets args, maybe authorization, ids and path (read by bench/post.lua and bench/patch.lua)
  { time BENCH_AUTHORIZATION=$authorization BENCH_IDS=$ids BENCH_PATH=$path wrk "-t$THREADS" "-c$CONNECTIONS" "-d${3}s" ${wrk_options[@]+"${wrk_options[@]}"} \
      "${args[@]}" >"$4" 2>&1; } 2>"$4.time" || { cat "$4" >&2; die "wrk failed for $1 on $2"; }
}

# measure SCENARIO SIDE ROUND: one measured run, appended to runs.tsv. CPU is counted per request
# for the app, the bench cluster and wrk; "other" is the rest of the machine's busy CPU during the
# run, in cores: the idle app's background work (JIT, GC; shown apart) and everything else on the
# machine, such as other people's builds and tests (> 0.2 makes the run noisy).
measure() {
  local scenario=$1 side=$2 round=$3 out pid idle app0 idle0 pg0 busy0 app1 idle1 pg1 busy1
  out=$logs/$scenario-$side-$round.txt
  pid=$api_pid idle=$base_pid
  [ "$side" = api ] || { pid=$base_pid; idle=$api_pid; }
  app0=$(proc_ticks "$pid"); idle0=$(proc_ticks "$idle"); pg0=$(pg_ticks); busy0=$(busy_ticks)
  wrk_run "$scenario" "$side" "$DURATION" "$out"
  app1=$(proc_ticks "$pid"); idle1=$(proc_ticks "$idle"); pg1=$(pg_ticks); busy1=$(busy_ticks)
  awk -v s="$scenario" -v side="$side" -v r="$round" -v hz="$clk_tck" -v secs="$DURATION" \
      -v a=$((app1 - app0)) -v i=$((idle1 - idle0)) -v p=$((pg1 - pg0)) -v busy=$((busy1 - busy0)) \
      -v wrk="$(cat "$out.time")" '
    /requests in/            { n = $1 }
    /^Requests\/sec:/        { rps = $2 }
    /Non-2xx or 3xx/         { bad = $NF }
    /Socket errors:/         { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
    END {
      split(wrk, t, " "); w = (t[1] + t[2]) * hz
      other = (busy - a - p - w) / hz / secs
      printf "%s\t%s\t%s\t%.1f\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\n", s, side, r, rps, n, bad, sock,
        n ? a * 1000 / hz / n : 0, n ? p * 1000 / hz / n : 0, n ? w * 1000 / hz / n : 0, other < 0 ? 0 : other, i / hz / secs
    }' "$out" | tee -a "$runs" | awk -F'\t' '{
      printf "   %-7s %-8s round %s: %8.1f req/s  non-2xx %d, socket errors %d;" \
        " CPU ms/req app %.3f pg %.3f wrk %.3f; other load %.2f cores (idle app %.2f)\n",
        $1, $2, $3, $4, $6, $7, $8, $9, $10, $11, $12 }'
}

# settle SCENARIO...: SETTLE s of each scenario on each side, unmeasured, before the first measured run. .NET's
# tiered JIT goes on recompiling hot code for tens of seconds after start-up (in a profile of GET, 15% of the
# API's CPU was still the JIT 15 s into the load), and a server is measured as it runs: warm. SETTLE=0 skips it.
settle() {
  local scenario side
  [ "${SETTLE:-0}" -gt 0 ] || return 0
  log "settling: ${SETTLE}s of each scenario per side, unmeasured (tiered JIT)"
  for scenario in "$@"; do
    for side in baseline api; do
      wrk_run "$scenario" "$side" "$SETTLE" "$logs/$scenario-$side-settle.txt"
    done
  done
}

# floor_setup NAME: the start of a script that replays the API's own SQL with pgbench (floor.sh, floor-patch.sh): its
# logs and report (bench/results/NAME-logs, NAME-latest.md), the tools it needs, the bench cluster with an empty
# database bench_NAME ($db), and the API's build in bench/results/NAME-app started on it, ready ($api_pid), to store
# the real payloads the replay sends.
floor_setup() {
  logs=$results/$1-logs
  report=$results/$1-latest.md
  db=bench_${1//-/_}
  bench_init
  for tool in dotnet curl "$pg_bin/psql" "$pg_bin/pgbench"; do command -v "$tool" >/dev/null 2>&1 || die "$tool not found"; done
  port_in_use "$api_port" && die "127.0.0.1:$api_port is in use"
  start_pg "$db"
  log "building the API (Release) and starting it to store the payloads"
  build_api_copy "$results/$1-app"
  start_app api "$api_port" "$db" "$results/$1-app/Sharedcloud.Es.Api.dll"
  api_pid=$!
  wait_ready api "$api_pid" "$api_url/health/ready"
}

# floor_payloads EVENT_TYPE [DOCUMENT_ID]: stops the API floor_setup started, then reads the payloads it stored: the
# account ($account), the first event of EVENT_TYPE ($event, $headers, $correlation, $dotnet_type) and the instance's
# document ($doc, $doc_type; the only one, or DOCUMENT_ID's).
floor_payloads() {
  local where=""
  [ -z "${2:-}" ] || where=" where id = '$2'"
  kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; api_pid=
  q() { psql -d "$db" -At -c "$1"; }
  account=$(q "select id from sharedcloud.mt_doc_accountdetails limit 1")
  event=$(q "select data from sharedcloud.mt_events where type = '$1' order by seq_id limit 1")
  headers=$(q "select headers from sharedcloud.mt_events where type = '$1' order by seq_id limit 1")
  correlation=$(q "select correlation_id from sharedcloud.mt_events where type = '$1' order by seq_id limit 1")
  dotnet_type=$(q "select mt_dotnet_type from sharedcloud.mt_events where type = '$1' order by seq_id limit 1")
  doc=$(q "select data from sharedcloud.mt_doc_instancedetails$where")
  doc_type=$(q "select mt_dotnet_type from sharedcloud.mt_doc_instancedetails$where")
}

# floor_table NOUN PLURAL SIDE...: the table of a pgbench replay (runs.tsv in $logs): per side, PLURAL per second and
# PostgreSQL's CPU per NOUN, each against the first side's (the baseline).
floor_table() {
  local noun=$1 plural=$2; shift 2
  echo "| side | $plural/s | / baseline | PostgreSQL CPU per $noun (ms) | / baseline | runs ($plural/s) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' -v sides="$*" 'NR > 1 { n[$1]++; r[$1] += $3; c[$1] += $4; runs[$1] = runs[$1] (runs[$1] == "" ? "" : ", ") $3 }
    END {
      count = split(sides, order, " ")
      for (i = 1; i <= count; i++) { s = order[i]; rate = r[s] / n[s]; cpu = c[s] / n[s]
        if (i == 1) { br = rate; bc = cpu }
        printf "| %s | %.0f | %.2f | %.3f | %.2f | %s |\n", s, rate, rate / br, cpu, bc / cpu, runs[s] } }' "$logs/runs.tsv"
}

# await_projections: waits until the API's asynchronous projections have caught up with every event in its
# database(s) ($projection_dbs, set by the script; unset: no wait), for at most PROJECTION_WAIT s (180). The seeding
# and the settle phase append tens of thousands of events: the daemon's catch-up on them must not run inside the
# next scenario's measurement and be counted as that scenario's cost. (It takes a second or two on a quiet machine.)
# A database whose projections do not move for 10 s (the daemon off) is measured as it is.
await_projections() {
  local db behind last stalled start
  for db in ${projection_dbs:-}; do
    start=$SECONDS last=-1 stalled=0
    while :; do
      behind=$(psql -d "$db" -At -c "select coalesce((select max(seq_id) from sharedcloud.mt_events), 0)
        - coalesce(min(last_seq_id), 0) from sharedcloud.mt_event_progression where name like '%:All'" 2>/dev/null) || behind=0
      behind=${behind:-0}
      [ "$behind" -gt 0 ] || break
      # A daemon that is off (--Projections:Daemon=Disabled) never moves: give up after 10 s without progress.
      if [ "$behind" = "$last" ]; then stalled=$((stalled + 1)); else stalled=0; last=$behind; fi
      if [ "$stalled" -ge 10 ] || [ $((SECONDS - start)) -ge "${PROJECTION_WAIT:-180}" ]; then
        log "projections of $db still $behind events behind: measuring anyway"; break
      fi
      sleep 1
    done
    if [ "$behind" -eq 0 ] && [ $((SECONDS - start)) -gt 0 ]; then
      log "asynchronous projections of $db caught up in $((SECONDS - start))s"
    fi
  done
}

# run_scenario SCENARIO: the projections caught up, a warm-up of WARMUP s per side, then ROUNDS x (baseline, api) of DURATION s
run_scenario() {
  local scenario=$1 side round
  await_projections
  log "$scenario: warm-up ${WARMUP}s each, then $ROUNDS x (baseline, api) of ${DURATION}s, -t$THREADS -c$CONNECTIONS"
  for side in baseline api; do
    wrk_run "$scenario" "$side" "$WARMUP" "$logs/$scenario-$side-warmup.txt"
  done
  for round in $(seq "$ROUNDS"); do
    measure "$scenario" baseline "$round"
    measure "$scenario" api "$round"
  done
}

# --- report helpers ---------------------------------------------------------------------------
commit_line() { # "<date>, commit <hash>[ (src/ has uncommitted changes)],"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
    [ -z "$(git status --porcelain -- src 2>/dev/null)" ] || echo ' (src/ has uncommitted changes)'),"
}

cpu_table() { # SCENARIO... : CPU per request (ms) per side, from runs.tsv
  local scenario
  echo "| scenario | baseline app | baseline pg | API app | API pg | wrk (baseline / API) | CPU ratio | other load |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for scenario in "$@"; do
    awk -F'\t' -v s="$scenario" '
      $1 == s {
        n[$2]++; app[$2] += $8; pg[$2] += $9; wrk[$2] += $10
        if ($11 > other) other = $11
      }
      END {
        for (side in n) { app[side] /= n[side]; pg[side] /= n[side]; wrk[side] /= n[side] }
        api = app["api"] + pg["api"]
        printf "| %s | %.3f | %.3f | %.3f | %.3f | %.3f / %.3f | %.2f | %.2f |\n", s, app["baseline"], pg["baseline"],
          app["api"], pg["api"], wrk["baseline"], wrk["api"], api ? (app["baseline"] + pg["baseline"]) / api : 0, other
      }' "$runs"
  done
}

# --- pgbench (bench/floor.sh, bench/floor-patch.sh) ------------------------------------------------
# pgbench_side SIDE ROUND PER_TX: one run of $logs/SIDE.sql (CLIENTS clients, DURATION s); appends to $logs/runs.tsv
# the units of work per second (PER_TX of them a transaction) and PostgreSQL's CPU ms per unit.
pgbench_side() {
  local out t0 t1 n tps
  t0=$(pg_ticks)
  out=$("$pg_bin/pgbench" -n -h 127.0.0.1 -p "$pg_port" -U postgres -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" \
    -f "$logs/$1.sql" "$db" 2>&1) || { echo "$out" >&2; die "pgbench failed on $1"; }
  t1=$(pg_ticks)
  echo "$out" > "$logs/$1-$2.log"
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
  [ -n "$n" ] && [ "$n" -gt 0 ] || die "pgbench processed nothing on $1"
  printf '%s\t%s\t%.0f\t%.3f\n' "$1" "$2" "$(echo "$tps * $3" | bc -l)" \
    "$(echo "($t1 - $t0) * 1000 / $(getconf CLK_TCK) / ($n * $3)" | bc -l)" >> "$logs/runs.tsv"
}

# pgbench_rounds SIDE:PER_TX...: a warm-up run of each side (not kept), then ROUNDS rounds of them, A/B alternated.
pgbench_rounds() {
  local entry round
  printf 'side\tround\tper_s\tpg_ms\n' > "$logs/runs.tsv"
  log "warm-up: ${DURATION}s per side"
  for entry in "$@"; do pgbench_side "${entry%%:*}" 0 "${entry##*:}"; done
  sed -i '/\t0\t/d' "$logs/runs.tsv"
  for round in $(seq "$ROUNDS"); do
    log "round $round of $ROUNDS"
    for entry in "$@"; do pgbench_side "${entry%%:*}" "$round" "${entry##*:}"; done
  done
}
