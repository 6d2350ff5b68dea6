#!/usr/bin/env bash
# bench/replay.sh: replay and export at scale. Seeds a database with EVENTS events of realistic
# history (`bench seed`), then times, on that store:
#   - `projections rebuild -p NAME` for every stored projection (inline and async), in events/s;
#   - `events export --out FILE`, in events/s, against a bare psql `\copy` of the same rows and
#     columns to a file (the least any export can cost here), alternated ROUNDS times.
# Goals: rebuild >= 30,000 events/s per projection, export >= 100,000 events/s.
#
#   bench/replay.sh                                  # 1,000,000 events; ~6 minutes on 2 cores
#   EVENTS=100000 INSTANCES=2000 bench/replay.sh     # a quick try
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EVENTS=${EVENTS:-1000000}
ACCOUNTS=${ACCOUNTS:-1000}
INSTANCES=${INSTANCES:-20000}
ROUNDS=${ROUNDS:-2}
check_knobs EVENTS ACCOUNTS INSTANCES ROUNDS

# Its own cluster, port and logs: runs beside bench/run.sh or bench/poll.sh without touching theirs.
pg_dir=$repo/.local/replay-pg
pg_port=${REPLAY_PG_PORT:-55435}
logs=$results/replay-logs
report=$results/replay-latest.md
db=bench_replay
app=$results/replay-app

bench_init
for tool in dotnet "$pg_bin/psql"; do command -v "$tool" >/dev/null 2>&1 || die "$tool not found"; done
start_pg $db
log "building the API and the seed tool (Release)"
# bench/Seed references the API: its output holds both programs.
build bench/Seed/Seed.csproj || die "the API or bench/Seed does not build"
rm -rf "$app"; mkdir -p "$app"; cp -a bench/Seed/bin/Release/net10.0/. "$app/"

cli() { # the command line as an operator runs it; stderr (messages) to $logs/$1-...
  local program=Sharedcloud.Es.Api.dll
  [ "$1" != bench ] || program=Sharedcloud.Es.Bench.Seed.dll # the benchmarks' own command, out of the service
  ConnectionStrings__Postgres=$(pg_url $db) Logging__LogLevel__Default=Warning dotnet "$app/$program" "$@"
}
seconds_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)

log "seeding $EVENTS events ($ACCOUNTS accounts, $INSTANCES instances)"
t0=$(date +%s.%N)
cli bench seed --accounts "$ACCOUNTS" --instances "$INSTANCES" --events "$EVENTS" 2>"$logs/seed.log" || { cat "$logs/seed.log" >&2; die "seeding failed"; }
seed_s=$(seconds_since "$t0")
events=$(psql -d $db -tA -c "select count(*) from sharedcloud.mt_events")
[ "$events" -ge "$EVENTS" ] || die "expected $EVENTS events, found $events"
seed_line=$(grep '^wrote ' "$logs/seed.log" || true)
projections=$(sed -n 's/^rebuilding \(.*\)$/\1/p' "$logs/seed.log" | sort -u)
[ -n "$projections" ] || die "no projection was rebuilt by the seed (see $logs/seed.log)"

rows=()
for name in $projections; do
  log "projections rebuild -p $name"
  t0=$(date +%s.%N)
  # Marten allows a projection 5 minutes by default; a loaded machine may need more.
  cli projections rebuild --in-place -p "$name" --shard-timeout 60m >"$logs/rebuild-$name.log" 2>&1 || { cat "$logs/rebuild-$name.log" >&2; die "rebuild of $name failed"; }
  wall=$(seconds_since "$t0")
  ms=$(sed -n "s/.*Finished rebuilding $name in \([0-9]*\) ms.*/\1/p" "$logs/rebuild-$name.log" | tail -n 1)
  [ -n "$ms" ] || die "no rebuild time for $name in $logs/rebuild-$name.log"
  secs=$(awk -v ms="$ms" 'BEGIN { printf "%.2f", ms / 1000 }')
  r=$(rate "$events" "$secs")
  verdict=$([ "$r" -ge 30000 ] && echo pass || echo miss)
  rows+=("| \`projections rebuild -p $name\` | $secs s ($wall s with start-up) | $r | ≥ 30,000 | $verdict |")
done

export_file=$logs/export.ndjson
baseline_file=$logs/baseline.tsv
columns="seq_id, stream_id, version, type, timestamp, user_name, headers ->> 'actor_id', correlation_id, data"
export_rates=() baseline_rates=()
for round in $(seq "$ROUNDS"); do
  log "round $round: psql \\copy (baseline), then events export"
  t0=$(date +%s.%N)
  psql -d $db -c "\\copy (select $columns from sharedcloud.mt_events order by seq_id) to '$baseline_file'"
  baseline_rates+=("$(rate "$events" "$(seconds_since "$t0")")")
  t0=$(date +%s.%N)
  cli events export --out "$export_file" 2>"$logs/export-$round.log" || { cat "$logs/export-$round.log" >&2; die "export failed"; }
  export_rates+=("$(rate "$events" "$(seconds_since "$t0")")")
  lines=$(wc -l <"$export_file")
  [ "$lines" -eq "$events" ] || die "the export has $lines lines for $events events"
done
inner=$(sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p' "$logs/export-$ROUNDS.log")
export_best=$(printf '%s\n' "${export_rates[@]}" | sort -n | tail -n 1)
baseline_best=$(printf '%s\n' "${baseline_rates[@]}" | sort -n | tail -n 1)
ratio=$(awk -v a="$export_best" -v b="$baseline_best" 'BEGIN { printf "%.2f", a / b }')
export_verdict=$([ "$export_best" -ge 100000 ] && echo pass || echo miss)
export_mb=$(du -m "$export_file" | cut -f1)
baseline_mb=$(du -m "$baseline_file" | cut -f1)

{
  echo "# bench/replay.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
  echo
  echo "$events events in the store ($ACCOUNTS accounts, $INSTANCES instances, \`bench seed\`: $seed_s s in all; $seed_line)."
  echo "Load average at start $load_start, at end $(load) (2 cores: above 2, others were using the machine)."
  echo
  echo "| what | time | events/s | goal | |"
  echo "|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo "| \`events export --out FILE\` (best of $ROUNDS, process start-up included; $export_mb MB) | | $export_best (inside: $inner) | ≥ 100,000 | $export_verdict |"
  echo "| baseline: \`psql \\copy (select ... order by seq_id) to FILE\` (best of $ROUNDS; $baseline_mb MB) | | $baseline_best | | |"
  echo "| export / baseline | | $ratio | | |"
  echo
  echo "Export rounds (events/s): ${export_rates[*]}; baseline rounds: ${baseline_rates[*]}."
} | tee "$report"
rm -f "$export_file" "$baseline_file"
