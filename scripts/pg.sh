#!/usr/bin/env bash
# Manages a project-local PostgreSQL cluster for development.
#
#   scripts/pg.sh start|stop|status|url [--dir DIR] [--port PORT]
#
#   start   create the cluster on first use, start it (no-op when running), create database "sharedcloud"
#   stop    stop the cluster (no-op when not running)
#   status  print whether it runs; exit 0 when running, 3 when not
#   url     print the Npgsql connection string
#
# Defaults: DIR=<repo>/.local/pg (env SHAREDCLOUD_PG_DIR), PORT=55432 (env SHAREDCLOUD_PG_PORT). As root, when the
# postgres user cannot reach the clone (one in root's home directory), DIR=/var/lib/sharedcloud/pg-<clone's hash>.
# Once a cluster exists, its recorded port is used unless --port or SHAREDCLOUD_PG_PORT says otherwise.
# Local connections use trust authentication: this is a dev cluster, listening on 127.0.0.1 only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
db_name=sharedcloud
db_user=postgres

die() { echo "pg.sh: $*" >&2; exit 1; }
usage() { echo "usage: scripts/pg.sh start|stop|status|url [--dir DIR] [--port PORT]" >&2; exit 2; }

cmd=${1:-}
[ $# -gt 0 ] && shift
dir=${SHAREDCLOUD_PG_DIR:-}
port=${SHAREDCLOUD_PG_PORT:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir)  [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
    *) usage ;;
  esac
done
case "$cmd" in start|stop|status|url) ;; *) usage ;; esac

# The default place: the clone's .local/pg. As root the cluster runs as the postgres user, which cannot reach a clone
# in a folder closed to others (root's home directory, as in many containers): the cluster then lives in a folder of
# its own under /var/lib/sharedcloud, one per clone (named after the clone's path), which every command finds again.
if [ -z "$dir" ]; then
  dir=$repo/.local/pg
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 \
      && ! (cd / && "$(command -v runuser || echo /usr/sbin/runuser)" -u postgres -- test -x "$repo"); then
    dir=/var/lib/sharedcloud/pg-$(printf '%s' "$repo" | sha256sum | cut -c1-12)
    [ "$cmd" != start ] || echo "pg.sh: the postgres user cannot reach $repo; the cluster lives in $dir (--dir chooses another)" >&2
  fi
fi

[ "$cmd" != start ] || mkdir -p "$dir"
[ ! -d "$dir" ] || dir=$(cd "$dir" && pwd)
data=$dir/data
conf=$data/sharedcloud.conf   # our settings; rewritten on every start
log=$dir/postgres.log

recorded_port=$(sed -n "s/^port = \([0-9]*\)$/\1/p" "$conf" 2>/dev/null || true)
port=${port:-${recorded_port:-55432}}
[[ "$port" =~ ^[0-9]+$ ]] || die "invalid port: $port"

url() { echo "Host=127.0.0.1;Port=$port;Username=$db_user;Database=$db_name"; }

if [ "$cmd" = url ]; then url; exit 0; fi

# --- PostgreSQL binaries --------------------------------------------------------------------
bindir=""
if command -v pg_config >/dev/null 2>&1; then
  bindir=$(pg_config --bindir 2>/dev/null || true)
fi
if [ ! -x "$bindir/initdb" ]; then # the newest Debian server install
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ ! -x "$candidate/initdb" ] || bindir=$candidate
  done
fi
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  die "PostgreSQL server binaries (initdb, pg_ctl) not found; they must be installed (Debian: apt-get install postgresql)"
fi

# --- run as the cluster owner: the postgres user when we are root -----------------------------
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' system user (Debian: apt-get install postgresql), or run as a normal user"
  runuser=$(command -v runuser || echo /usr/sbin/runuser)
  as_owner() { (cd / && "$runuser" -u postgres -- "$@"); } # from /: the caller's folder may be closed to it
  if [ "$cmd" = start ]; then
    chown postgres: "$dir"
    [ ! -e "$log" ] || chown postgres: "$log"
    as_owner test -w "$dir" -a -x "$dir" \
      || die "the postgres user cannot reach $dir (a parent folder is closed to it); use e.g. --dir /var/tmp/sharedcloud-pg"
  fi
else
  as_owner() { "$@"; }
  if [ -d "$data" ] && [ ! -O "$data" ]; then
    die "$data belongs to $(stat -c %U "$data"), not to you; run as that user or use another --dir"
  fi
fi

pg_ctl() { as_owner "$bindir/pg_ctl" -D "$data" "$@"; }
running() { [ -f "$data/PG_VERSION" ] && pg_ctl status >/dev/null 2>&1; }
psql_admin() { "$bindir/psql" -X -q -h "$dir" -p "$port" -U "$db_user" -d postgres -v ON_ERROR_STOP=1 "$@"; }

case "$cmd" in
  status)
    if running; then
      echo "running: $(url) (data: $data)"
      exit 0
    fi
    echo "not running (data: $data)"
    exit 3
    ;;

  stop)
    if running; then
      pg_ctl -m fast -w -t 60 stop >/dev/null
      echo "stopped"
    else
      echo "not running"
    fi
    exit 0
    ;;

  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      if [ ${#dir} -gt 90 ]; then
        die "$dir is too long a path for the unix socket (limit ~100 characters); use a shorter --dir"
      fi
      echo "creating cluster in $data"
      rm -rf "$data"
      as_owner "$bindir/initdb" -D "$data" -U "$db_user" --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
      echo "include_if_exists = 'sharedcloud.conf'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
    fi

    if running; then
      if [ -n "$recorded_port" ] && [ "$recorded_port" != "$port" ]; then
        echo "note: already running on port $recorded_port; stop it first to change the port" >&2
        port=$recorded_port
      fi
      echo "already running: $(url)"
    else
      as_owner tee "$conf" >/dev/null <<CONF
# Written by scripts/pg.sh on every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 128MB
CONF
      if ! pg_ctl -l "$log" -w -t 60 start >/dev/null; then
        tail -n 6 "$log" >&2 || true
        die "could not start PostgreSQL (port $port in use? see $log)"
      fi
      echo "started: $(url)"
    fi

    exists=$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'")
    if [ "$exists" != 1 ]; then
      psql_admin -c "CREATE DATABASE $db_name"
      echo "created database $db_name"
    fi
    ;;
esac
