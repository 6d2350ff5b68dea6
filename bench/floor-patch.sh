#!/usr/bin/env bash
# bench/floor-patch.sh: what the database alone costs a PATCH of an instance, without any application. pgbench sends,
# on one PostgreSQL cluster, A/B alternated, each request to one of ROWS instances at random (64: bench/run.sh's
# patch64; ROWS=1: its patch1, where every PATCH queues on one row lock):
#   - baseline: the bare baseline's PATCH (bench/Baseline: one UPDATE merging the changed fields into the row's JSON);
#   - api:      the statements one PATCH /api/v1/instances/<uuid>/ sends, in one transaction, pipelined into one
#               round trip (the API needs three): BEGIN with the stream's row lock and the document's load, Marten's
#               append function (mt_quick_append_events) with the inline document's upsert, COMMIT; with the payloads
#               the API stored for a real PATCH. (The API's lock_timeout is a setting of its write connections.)
#   - api-2rt:  the same statements in the two round trips that any design deciding in the application needs: the
#               lock and load, then (after the decision) the append, the upsert and COMMIT, holding the row lock
#               between them (no application time counted);
#   - api-3rt:  the three round trips the API makes (Marten sends COMMIT on its own).
# It prints PATCHes/s, PostgreSQL CPU per PATCH, and each one's ratio to the baseline: a ceiling on bench/run.sh's
# patch64 (or patch1) ratio that no application code can lift (README, "The write path").
#
#   bench/floor-patch.sh                        # ROUNDS=3 DURATION=10 CLIENTS=8: ~3 minutes with the build
#   ROUNDS=1 DURATION=5 bench/floor-patch.sh    # a quick try
#   ROWS=1 CLIENTS=32 bench/floor-patch.sh      # patch1's ceiling: 32 clients on one row, as bench/run.sh's patch1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
ROWS=${ROWS:-64}
check_knobs ROUNDS DURATION CLIENTS ROWS
[ "$ROWS" -le 64 ] || die "ROWS is at most 64"

# The API creates its schema, 64 instances and one real PATCH: its event, headers and document are the payloads.
floor_setup floor-patch
key=$(api_account floor)
first=""
for i in $(seq 64); do
  id=$(api_create "$key" "bench-patch-$i")
  first=${first:-$id}
done
http 200 -X PATCH "$api_url/api/v1/instances/$first/" -H "Authorization: Token $key" -d ask_price=0.5 >/dev/null
floor_payloads instance_price_changed "$first"
psql -d $db -c "
  CREATE TABLE floor_ids (n int PRIMARY KEY, id uuid NOT NULL);
  INSERT INTO floor_ids SELECT row_number() OVER (ORDER BY id), id FROM sharedcloud.mt_doc_instancedetails;
  CREATE TABLE bench_instances (id uuid PRIMARY KEY, owner uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL);
  CREATE INDEX bench_instances_owner_created ON bench_instances (owner, created_at DESC);
  INSERT INTO bench_instances (id, owner, data) SELECT id, account__id, data FROM sharedcloud.mt_doc_instancedetails;"

# pgbench scripts (psql-style quoting: the payloads are single-quoted literals)
lit() { printf "'%s'" "${1//\'/\'\'}"; }
pick='\set n random(1, '$ROWS')
select id as sid from floor_ids where n = :n \gset'
{
  echo "$pick"
  echo "update bench_instances set data = data || '{\"ask_price\": 0.7, \"updated_at\": \"02-12-2026 02:00:00\"}' where id = :sid returning data;"
} > "$logs/baseline.sql"
lock_and_load() {
  echo "begin;"
  echo "select version from sharedcloud.mt_streams where id = :sid for update;"
  echo "select d.id, d.data, d.mt_version from sharedcloud.mt_doc_instancedetails as d where id = :sid;"
}
append_and_upsert() {
  echo "select sharedcloud.mt_quick_append_events(:sid, 'instance', '*DEFAULT*', array[gen_random_uuid()], array['instance_price_changed']::varchar[], array[$(lit "$dotnet_type")]::varchar[], array[$(lit "$event")::jsonb], array[null::bytea], array[$(lit "$correlation")]::varchar[], array[$(lit "$headers")::jsonb], array['floor']::varchar[], array[now()]);"
  echo "insert into sharedcloud.mt_doc_instancedetails (id, data, mt_version, mt_dotnet_type, mt_last_modified, account__id, created__at) values (:sid, $(lit "$doc"), COALESCE((select version from sharedcloud.mt_streams where sharedcloud.mt_streams.id = :sid), 1), $(lit "$doc_type"), transaction_timestamp(), '$account', now()) on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version returning mt_version;"
}
pipelined() { echo "\\startpipeline"; "$@"; echo "\\endpipeline"; }
commit() { echo "commit;"; }
both() { lock_and_load; append_and_upsert; commit; }
then_commit() { append_and_upsert; commit; }
{ echo "$pick"; pipelined both; } > "$logs/api.sql"
{ echo "$pick"; pipelined lock_and_load; pipelined then_commit; } > "$logs/api-2rt.sql"
{ echo "$pick"; pipelined lock_and_load; pipelined append_and_upsert; commit; } > "$logs/api-3rt.sql"
pgbench_rounds baseline:1 api:1 api-2rt:1 api-3rt:1

{
  echo "# bench/floor-patch.sh results"
  echo
  echo "$(commit_line) $(nproc) cores; pgbench -c $CLIENTS -j 2, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a warm-up; $ROWS of 64 instances."
  echo
  floor_table PATCH PATCHes baseline api api-2rt api-3rt
} > "$report"
cat "$report"
