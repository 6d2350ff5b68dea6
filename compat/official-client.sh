#!/usr/bin/env bash
# Runs the official Sharedcloud command-line client's own test suite, unchanged, against this service.
#
#   compat/official-client.sh [SOURCE] [-- NOSE_ARGS...]
#
# SOURCE: a checkout of the client, or a git URL to clone (default https://github.com/sharedcloud/sharedcloud-cli).
# CLICK_SOURCE: a clone of click (default https://github.com/pallets/click), for the version the client pins (6.7):
# click 7 renamed commands such as change_password to change-password, and the client's tests call them by name.
# Neither source is copied into this repository: both are copied into .local/official-client each run.
#
# What it starts: a throwaway PostgreSQL cluster (scripts/pg.sh, port 55437) and the API in Release on port 5111,
# with Billing:ExemptEmailPrefixes = test_user_555 (the client's tests create "beta" accounts with that email and
# start runs at a zero balance) and the sign-up and login limits off (the suite signs up about 130 accounts from one
# address within a minute; production's limits are per address). Both stop when the script ends.
#
# What it needs: the client's dependencies for the Python 3 that runs it (click, requests, tabulate, nose; as root
# on Debian they are installed with apt-get when missing; click itself comes from CLICK_SOURCE). Two stand-ins in this folder fill what is not here:
# `docker` (no Docker engine on these machines: it runs an image's command on the local python3/python2.7/node) and
# `timeago.py` (the package is not served by the registries here). Neither changes the client.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
compat=$repo/compat
work=$repo/.local/official-client
pg_port=${OFFICIAL_CLIENT_PG_PORT:-55437}
api_port=${OFFICIAL_CLIENT_API_PORT:-5111}
api_url=http://127.0.0.1:$api_port

source=https://github.com/sharedcloud/sharedcloud-cli
if [ $# -gt 0 ] && [ "$1" != "--" ]; then source=$1; shift; fi
[ "${1:-}" = "--" ] && shift
nose_args=("$@")

die() { echo "official-client.sh: $*" >&2; exit 1; }

python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=$(command -v python3) || die "python3 is required"
if ! "$python" -c 'import click, requests, tabulate, nose' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ "$python" = /usr/bin/python3 ]; then
    echo "== installing the client's dependencies (python3-click python3-requests python3-tabulate python3-nose)"
    pkgs=(python3-click python3-requests python3-tabulate python3-nose)
    # A fresh machine's package lists may be empty: fetch them once when the install cannot find the packages.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; }
  else
    die "$python needs click, requests, tabulate and nose (Debian: apt-get install python3-click python3-requests python3-tabulate python3-nose)"
  fi
fi

rm -rf "$work" && mkdir -p "$work/home"
if [ -d "$source" ]; then
  if git -C "$source" rev-parse --git-dir >/dev/null 2>&1; then
    git clone -q "$source" "$work/client"   # a bare mirror or a checkout
  else
    cp -r "$source" "$work/client"
  fi
else
  git clone -q --depth 1 "$source" "$work/client" || die "cannot clone $source"
fi
[ -f "$work/client/sharedcloud_cli/main.py" ] || die "$source does not hold the client (sharedcloud_cli/main.py)"
click_source=${CLICK_SOURCE:-https://github.com/pallets/click}
if [ -d "$click_source" ]; then click_repo=$click_source
else git clone -q --bare --filter=blob:none "$click_source" "$work/click.git" || die "cannot clone $click_source"; click_repo=$work/click.git
fi
mkdir -p "$work/deps"
git -C "$click_repo" archive 6.7 click | tar -x -C "$work/deps" || die "$click_source has no tag 6.7"
echo "== click 6.7 from $click_source"
echo "== client: $source at $(git -C "$work/client" rev-parse --short HEAD 2>/dev/null || echo '(not a git checkout)')"

api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  bash scripts/pg.sh stop --dir "$work/pg" --port "$pg_port" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== building the API (Release)"
dotnet build -c Release -nologo -v q src/Api/Sharedcloud.Es.Api.csproj >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; die "build failed"; }
dll=$(ls src/Api/bin/Release/net*/Sharedcloud.Es.Api.dll | tail -n 1)

bash scripts/pg.sh start --dir "$work/pg" --port "$pg_port" >/dev/null
echo "== API on $api_url (log: $work/api.log)"
ConnectionStrings__Postgres=$(bash scripts/pg.sh url --dir "$work/pg" --port "$pg_port") \
Auth__TokenSecret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
Billing__ExemptEmailPrefixes__0=test_user_555 \
RateLimits__SignUp__PermitLimit=0 RateLimits__Login__PermitLimit=0 \
ASPNETCORE_ENVIRONMENT=Production \
  dotnet "$dll" --urls "$api_url" >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 120); do
  curl -fs "$api_url/health/ready" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || { tail -20 "$work/api.log"; die "the API exited"; }
  sleep 0.5
done
curl -fs "$api_url/health/ready" >/dev/null || die "the API did not become ready"

echo "== the client's test suite (nose), PATH and PYTHONPATH with the stand-ins of compat/"
set +e
(cd "$work/client" && HOME=$work/home PATH=$compat:$PATH PYTHONPATH=$work/deps:$compat SHAREDCLOUD_CLI_URL=$api_url \
  "$python" -m nose -v "${nose_args[@]}") 2>&1 | tee "$work/nose.log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(Ran [0-9]+ tests|OK|FAILED)' "$work/nose.log" | tr '\n' ' ')
echo "== $summary(log: $work/nose.log)"
exit "$status"
