#!/usr/bin/env bash
# Builds the web UI into ui/dist (the desktop window and `coffer serve` both serve
# it). Installs the npm packages from the lockfile when they are missing or stale,
# and skips the build when nothing under ui/ changed since the last one.
set -euo pipefail
cd "$(dirname "$0")/../ui"

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
stamp=dist/index.html
if [[ -f "$stamp" ]] && [[ -z "$(find src index.html package.json vite.config.ts -newer "$stamp" 2>/dev/null | head -n 1)" ]]; then
    exit 0
fi
npm run build --silent
