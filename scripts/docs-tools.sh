#!/usr/bin/env bash
# Installs what the API reference tests need, when it is missing: @redocly/cli (lints the OpenAPI
# document) and playwright-core (drives the browser), pinned, into .local/tools (git-ignored), and
# Debian's chromium (as root, with apt-get). scripts/test.sh runs this first; running it twice is a no-op.
set -euo pipefail

REDOCLY_VERSION=2.77.0
PLAYWRIGHT_CORE_VERSION=1.65.1

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$repo/.local/tools"

installed_version() { # installed_version PACKAGE: its version under $tools, or nothing
  node -e "try { console.log(require('$tools/node_modules/$1/package.json').version) } catch { }" 2>/dev/null || true
}

if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found (Debian: apt-get install nodejs npm); the API reference tests will fail" >&2
elif [ "$(installed_version @redocly/cli)" != "$REDOCLY_VERSION" ] \
     || [ "$(installed_version playwright-core)" != "$PLAYWRIGHT_CORE_VERSION" ]; then
  echo "installing @redocly/cli@$REDOCLY_VERSION and playwright-core@$PLAYWRIGHT_CORE_VERSION into .local/tools..."
  mkdir -p "$tools"
  # playwright-core downloads no browser: the tests drive Debian's chromium.
  npm install --prefix "$tools" --no-audit --no-fund --no-save --no-package-lock --loglevel=error \
    "@redocly/cli@$REDOCLY_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION" </dev/null
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian)..."
    log=$(mktemp)
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
         >"$log" 2>&1 </dev/null; then
      cat "$log" >&2
      echo "warning: could not install chromium; the reference page test will fail" >&2
    fi
    rm -f "$log"
  else
    echo "warning: chromium not found (Debian: apt-get install chromium); the reference page test will fail" >&2
  fi
fi
