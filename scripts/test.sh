#!/usr/bin/env bash
# Builds the solution and runs every test; the last line printed is "N passed, N failed" (skipped ones on the line before).
# Exits non-zero when the build fails, a test fails, or no test ran.
# Extra arguments go to dotnet test, e.g. scripts/test.sh --filter "FullyQualifiedName~Accounts".
#
# The API tests provision their own PostgreSQL (see tests/Api.Tests/Infrastructure/TestPostgres.cs);
# set SHAREDCLOUD_TEST_POSTGRES to an Npgsql connection string to use an existing server instead.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

results=.local/test-results
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build Sharedcloud.Es.sln -c Release; then
  echo "build failed" >&2
  echo "0 passed, 0 failed"
  exit 1
fi

# The API reference tests lint the OpenAPI document and load the page in a browser (see docs-tools.sh).
bash scripts/docs-tools.sh || echo "warning: scripts/docs-tools.sh failed; the API reference tests will fail" >&2

test_rc=0
dotnet test Sharedcloud.Es.sln --no-build -c Release \
  --logger trx --results-directory "$results" \
  --blame-hang-timeout 15m --blame-hang-dump-type none "$@" || test_rc=$?

# Sum the <Counters .../> of every trx file. Failures include errors, timeouts and aborts;
# skipped tests are counted in total but not in executed.
counter() { # counter NAME: sum of attribute NAME over all Counters elements
  find "$results" -name '*.trx' -exec cat {} + | grep -o '<Counters [^>]*>' | grep -o " $1=\"[0-9]*\"" \
    | tr -dc '0-9\n' | awk '{ s += $1 } END { print s + 0 }' || true
}
passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
skipped=$(( $(counter total) - $(counter executed) ))

status=0
if [ "$test_rc" -ne 0 ]; then
  echo "dotnet test exited with $test_rc" >&2
  status=1
  # A test host that crashed or was aborted leaves no failed test behind: count the run as one.
  if [ "$failed" -eq 0 ]; then
    echo "a test run ended without reporting a failure (crashed or aborted test host)" >&2
    failed=1
  fi
fi
if [ "$failed" -gt 0 ]; then status=1; fi
if [ $(( passed + failed )) -eq 0 ]; then
  echo "no tests ran" >&2
  status=1
fi

# The last line is exactly "N passed, N failed" (what CI reads); skipped tests (an interpreter this machine lacks) are
# counted on the line before it.
if [ "$skipped" -gt 0 ]; then echo "$skipped skipped"; fi
echo "$passed passed, $failed failed"
exit "$status"
