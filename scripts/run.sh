#!/usr/bin/env bash
# Starts the API on http://127.0.0.1:5000 (override with ASPNETCORE_URLS); extra arguments go to the app.
#
# Database: ConnectionStrings__Postgres when set, else the project-local cluster of scripts/pg.sh.
# Token secret: Auth__TokenSecret when set, else one generated once into .local/token-secret.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  bash scripts/pg.sh start
  ConnectionStrings__Postgres=$(bash scripts/pg.sh url)
  export ConnectionStrings__Postgres
  echo "PostgreSQL keeps running after the API stops; stop it with: scripts/pg.sh stop"
fi

if [ -z "${Auth__TokenSecret:-}" ]; then
  secret_file=.local/token-secret
  if [ ! -s "$secret_file" ]; then
    mkdir -p .local
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$secret_file")
  fi
  chmod 600 "$secret_file"
  Auth__TokenSecret=$(cat "$secret_file")
  export Auth__TokenSecret
fi

exec dotnet run --project src/Api -c Release -- --urls "${ASPNETCORE_URLS:-http://127.0.0.1:5000}" "$@"
