#!/usr/bin/env bash
# bench/floor.sh: what the database alone costs a create, without any application. pgbench sends, on one
# PostgreSQL cluster, A/B alternated:
#   - baseline: the bare baseline's INSERT (bench/Baseline: one row, its primary key and one index);
#   - api:      the statements one POST /api/v1/instances/ sends, in one transaction and one round trip
#               (pipelined, as Marten batches them): the account hold (hold_account), Marten's append
#               function (mt_quick_append_events: the stream's row and the event's), and the inline
#               projection's insert of the read model — with the payloads the API stored for a real create;
#   - api-x8:   eight such creates in one transaction (what grouping concurrent creates into one commit
#               would leave of it).
# It prints creates/s, PostgreSQL CPU per create, and each one's ratio to the baseline. No app, no network
# beyond pgbench's loopback: a ceiling on the create ratio of bench/run.sh that no application code can lift
# (see README, "The create goal").
#
#   bench/floor.sh                         # ROUNDS=3 DURATION=10 CLIENTS=8: ~3 minutes with the build
#   ROUNDS=1 DURATION=5 bench/floor.sh     # a quick try
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
check_knobs ROUNDS DURATION CLIENTS

# The API creates its schema and stores one real create: its event, headers and read model are the payloads.
floor_setup floor
key=$(api_account floor)
api_create "$key" bench-instance >/dev/null
floor_payloads instance_registered
psql -d $db -c "
  CREATE TABLE bench_instances (id uuid PRIMARY KEY, owner uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL);
  CREATE INDEX bench_instances_owner_created ON bench_instances (owner, created_at DESC);
  -- A time-ordered uuid (v7) as Guid.CreateVersion7 makes them, for every side alike: PostgreSQL 15 has no uuidv7().
  CREATE FUNCTION floor_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
      substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid \$\$;"

# pgbench scripts (psql-style quoting: the payloads are single-quoted literals)
lit() { printf "'%s'" "${1//\'/\'\'}"; }
one_create() { # stream-id variable
  cat <<SQL
select sharedcloud.mt_quick_append_events(:$1, 'instance', '*DEFAULT*', array[gen_random_uuid()], array['instance_registered']::varchar[], array[$(lit "$dotnet_type")]::varchar[], array[$(lit "$event")::jsonb], array[null::bytea], array[$(lit "$correlation")]::varchar[], array[$(lit "$headers")::jsonb], array['floor']::varchar[], array[now()]);
insert into sharedcloud.mt_doc_instancedetails (id, data, mt_version, mt_dotnet_type, mt_last_modified, account__id, created__at) values (:$1, $(lit "$doc"), COALESCE((select version from sharedcloud.mt_streams where sharedcloud.mt_streams.id = :$1), 1), $(lit "$doc_type"), transaction_timestamp(), '$account', now()) on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version returning mt_version;
SQL
}
{
  echo "select floor_uuid7() as sid \\gset"
  echo "insert into bench_instances (id, owner, data) values (:sid, '$account', $(lit "$doc"));"
} > "$logs/baseline.sql"
write_api() { # N: N creates in one transaction
  local i
  for i in $(seq "$1"); do echo "select floor_uuid7() as sid$i \\gset"; done
  echo "\\startpipeline"
  echo "begin;"
  echo "call sharedcloud.hold_account('$account');"
  for i in $(seq "$1"); do one_create "sid$i"; done
  echo "commit;"
  echo "\\endpipeline"
}
write_api 1 > "$logs/api.sql"
write_api 8 > "$logs/api-x8.sql"
pgbench_rounds baseline:1 api:1 api-x8:8

{
  echo "# bench/floor.sh results"
  echo
  echo "$(commit_line) $(nproc) cores; pgbench -c $CLIENTS -j 2, ${DURATION}s runs, $ROUNDS rounds A/B alternated after a warm-up."
  echo
  floor_table create creates baseline api api-x8
} > "$report"
cat "$report"
