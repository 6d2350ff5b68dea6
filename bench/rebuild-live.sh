#!/usr/bin/env bash
# `projections rebuild` on a running service, as issue 17 tried it: two API processes on one database (the async daemon
# on in both), a store of EVENTS events (`bench seed`), one client reading its 20 instances through the first process,
# WRITERS clients creating instances through the second (bench/rebuild-load.mjs), and the rebuild of every read model
# from the command line meanwhile. Then: every instance created during the rebuild is read back, and `events verify`
# must pass. Prints reads, wrong reads, writes, refused writes, the rebuild's time and each swap's lock time.
#
#   bench/rebuild-live.sh                                  # 200 accounts, 4,000 instances, 200,000 events (~4 minutes)
#   EVENTS=50000 INSTANCES=1000 ACCOUNTS=50 bench/rebuild-live.sh
#
# Its own cluster (.local/bench-rebuild-pg, port 55436), the API processes on 127.0.0.1:5109 and :5110.
# Report: bench/results/rebuild-live-latest.md; logs: bench/results/rebuild-live-logs/.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
logs=$results/rebuild-live-logs
pg_dir=$repo/.local/bench-rebuild-pg
pg_port=55436
api_port=5109 base_port=5110 # base_port: the second API process (lib.sh's port checks and cleanup cover both)
api_url=http://127.0.0.1:$api_port api2_url=http://127.0.0.1:$base_port

ACCOUNTS=${ACCOUNTS:-200}
INSTANCES=${INSTANCES:-4000}
EVENTS=${EVENTS:-200000}
WRITERS=${WRITERS:-4}
check_knobs ACCOUNTS INSTANCES EVENTS WRITERS
command -v node >/dev/null || die "node is needed for the traffic (bench/rebuild-load.mjs)"
db=bench_rebuild
app=$results/rebuild-live-app

bench_init
check_tools
start_pg $db
log "building the API and the seed tool (Release)"
build bench/Seed/Seed.csproj || die "the API or bench/Seed does not build"
rm -rf "$app"; mkdir -p "$app"; cp -a bench/Seed/bin/Release/net10.0/. "$app/"
cli() {
  local program=Sharedcloud.Es.Api.dll
  [ "$1" != bench ] || program=Sharedcloud.Es.Bench.Seed.dll
  ConnectionStrings__Postgres=$(pg_url $db) Logging__LogLevel__Default=Warning dotnet "$app/$program" "$@"
}

log "seeding $EVENTS events ($ACCOUNTS accounts, $INSTANCES instances)"
cli bench seed --accounts "$ACCOUNTS" --instances "$INSTANCES" --events "$EVENTS" 2>"$logs/seed.log" >/dev/null \
  || { cat "$logs/seed.log" >&2; die "seeding failed"; }

log "starting two API processes"
start_app api $api_port $db "$app/Sharedcloud.Es.Api.dll"
api_pid=$!
start_app api2 $base_port $db "$app/Sharedcloud.Es.Api.dll"
base_pid=$!
wait_ready api "$api_pid" "$api_url/health/ready"
wait_ready api2 "$base_pid" "$api2_url/health/ready"

reader=$(api_account bench-reader)
: >"$logs/mine.txt"
for i in $(seq -w 1 20); do echo "$(api_create "$reader" "mine-$i") mine-$i" >>"$logs/mine.txt"; done
: >"$logs/writers.txt"
for w in $(seq 1 "$WRITERS"); do api_account "bench-writer-$w" >>"$logs/writers.txt"; echo >>"$logs/writers.txt"; done
sed -i '/^$/d' "$logs/writers.txt"

log "traffic on, then projections rebuild (every read model)"
rm -f "$logs/stop"
node bench/rebuild-load.mjs "$api_url" "$api2_url" "$reader" "$logs/mine.txt" "$logs/writers.txt" "$logs/stop" \
  "$logs/written.txt" >"$logs/load.json" &
load_pid=$!
extra_pids=$load_pid
sleep 3
t0=$(date +%s.%N)
cli projections rebuild >"$logs/rebuild.out" 2>"$logs/rebuild.log" || { cat "$logs/rebuild.log" >&2; die "the rebuild failed"; }
rebuild_s=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
sleep 3
touch "$logs/stop"
wait "$load_pid"
extra_pids=""
cat "$logs/rebuild.out"
grep "swapped in" "$logs/rebuild.log" || true
cat "$logs/load.json"

log "reading back every instance created meanwhile"
missing=0
while read -r id key name; do
  got=$(curl -s -H "Authorization: Token $key" "$api_url/api/v1/instances/$id/" | json_field name)
  [ "$got" = "$name" ] || missing=$((missing + 1))
done <"$logs/written.txt"
echo "   $(wc -l <"$logs/written.txt") created, $missing missing or wrong"

log "events verify"
verify_rc=0
cli events verify >"$logs/verify.out" 2>"$logs/verify.log" || verify_rc=$?
tail -n 1 "$logs/verify.out"

report=$results/rebuild-live-latest.md
{
  echo "# bench/rebuild-live.sh results"
  echo
  commit_line
  echo "$(nproc) cores; $EVENTS seeded events ($ACCOUNTS accounts, $INSTANCES instances); two API processes; 1 reader, $WRITERS writers."
  echo
  echo "- rebuild: $rebuild_s s; $(cat "$logs/rebuild.out")"
  sed -n 's/^\(.*swapped in.*\)$/- \1/p' "$logs/rebuild.log"
  echo "- traffic: $(cat "$logs/load.json")"
  echo "- instances created during the rebuild: $(wc -l <"$logs/written.txt"), missing or wrong afterwards: $missing"
  echo "- events verify: exit $verify_rc; $(tail -n 1 "$logs/verify.out")"
} >"$report"
echo; cat "$report"
wrong=$(sed -n 's/.*"wrong_reads":\([0-9]*\).*/\1/p' "$logs/load.json")
refused=$(sed -n 's/.*"refused_writes":\([0-9]*\).*/\1/p' "$logs/load.json")
[ "$wrong" = 0 ] && [ "$refused" = 0 ] && [ "$missing" = 0 ] && [ "$verify_rc" = 0 ] || die "the rebuild was not invisible (see above)"
