#!/usr/bin/env bash
# The README's first command: Coffer on the built-in `local` profile (plain folders in
# the data dir, with sample objects), no cloud account needed.
#
#   with a display    the desktop app (Tauri window, tray icon, notifications)
#   without one       `coffer serve` with the same web UI; prints its URL and token
#
# Installs what running needs first (`scripts/setup.sh --run`: no Garage and no test
# tools) and builds the web UI when its sources changed. Extra arguments go to the app
# (or to `coffer serve`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --run >/dev/null
scripts/build-ui.sh

if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
    exec cargo run -p coffer-desktop -- "$@"
else
    echo "run: no display; starting \`coffer serve\` with the web UI instead" >&2
    if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" && -z "${COFFER_API_TOKEN:-}" ]]; then
        # No keychain to keep the API token in: a token for this run only.
        COFFER_API_TOKEN="$(openssl rand -hex 24)"
        export COFFER_API_TOKEN
    fi
    exec cargo run -p coffer-cli -- serve --samples --print-url "$@"
fi
