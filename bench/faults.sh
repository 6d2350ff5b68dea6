#!/usr/bin/env bash
# Runs the fault tests (tests/Api.Tests/Faults) and prints what clients saw: the database refusing
# connections and silently dropping packets, writers colliding, kill -9 under a write load and SIGTERM
# with a request in flight. The figures come from the tests' own output; the pass/fail is theirs too.
# Writes the whole report to bench/results/faults-latest.md. Takes 2-4 minutes.
#
# The tests provision PostgreSQL as the test suite does (SHAREDCLOUD_TEST_POSTGRES, Docker, or a
# throwaway local cluster); no running API or database is needed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
mkdir -p bench/results
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build tests/Api.Tests -c Release >/dev/null
rc=0
dotnet test tests/Api.Tests --no-build -c Release --filter "FullyQualifiedName~Sharedcloud.Es.Api.Tests.Faults." \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || rc=$?

report=bench/results/faults-latest.md
{
  echo "# Fault tests, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
  echo
  echo '```'
  # The test results and the lines each test writes: timings of every answer, counts of writes.
  grep -E '^\s+(Passed|Failed) Sharedcloud|^ (away|back|/health|ready again|killed after|acknowledged writes|refusing new|in-flight|exited with|all answered|[0-9]+ (writers|of))' "$log" \
    | sed -E 's/^\s+(Passed|Failed) Sharedcloud\.Es\.Api\.Tests\.Faults\./\1 /'
  echo '```'
  echo
  grep -E '^(Total tests|\s+(Passed|Failed):)' "$log" | sed -E 's/^\s+//'
} >"$report"
cat "$report"
if [ "$rc" -ne 0 ]; then
  echo "fault tests failed (exit $rc); full output:" >&2
  grep -E -A20 '^\s+Failed Sharedcloud' "$log" >&2 || true
fi
exit "$rc"
