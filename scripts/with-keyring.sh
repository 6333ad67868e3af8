#!/usr/bin/env bash
# Runs a command with a working, unlocked Secret Service (gnome-keyring) on a private
# D-Bus session bus, so keychain tests never touch the user's real keyring:
#
#   scripts/with-keyring.sh cargo test --workspace
#
# How: re-exec under `dbus-run-session`, start `gnome-keyring-daemon --foreground
# --unlock --components=secrets` with the password on stdin and its data in a temp
# dir (XDG_DATA_HOME / XDG_RUNTIME_DIR set for the daemon only; the command keeps
# the caller's HOME and XDG dirs), wait until it owns org.freedesktop.secrets on the
# bus, run the command, then kill the daemon by PID. The command's exit code is
# passed through. Inside, COFFER_KEYRING_READY=1 is set, and a nested call just runs
# its command.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

if [[ "${COFFER_KEYRING_READY:-}" == 1 ]]; then
    exec "$@"
fi

if [[ "${COFFER_KEYRING_STAGE:-}" != inner ]]; then
    for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "with-keyring: '$tool' not found; run scripts/setup.sh (Debian: gnome-keyring dbus dbus-x11)" >&2
            exit 127
        fi
    done
    export COFFER_KEYRING_STAGE=inner
    exec dbus-run-session -- "$0" "$@"
fi
unset COFFER_KEYRING_STAGE

# --- inner stage: on the private session bus ---------------------------------------
keyring_tmp="$(mktemp -d "${TMPDIR:-/tmp}/coffer-keyring.XXXXXX")"
mkdir -m 700 "$keyring_tmp/data" "$keyring_tmp/run"
daemon_pid=""

cleanup() {
    if [[ -n "$daemon_pid" ]]; then
        # A daemon that died under the command (a crash) explains failures that
        # follow it ("no secret for profile …"): show its log before it goes.
        if ! kill -0 "$daemon_pid" 2>/dev/null; then
            echo "with-keyring: gnome-keyring-daemon exited before the command ended; its log:" >&2
            cat "$keyring_tmp/daemon.log" >&2 || true
        fi
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$keyring_tmp"
}
trap cleanup EXIT

printf %s coffer-test-pass |
    XDG_DATA_HOME="$keyring_tmp/data" XDG_RUNTIME_DIR="$keyring_tmp/run" \
        gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$keyring_tmp/daemon.log" 2>&1 &
daemon_pid=$!

# The daemon claims its bus name a little after it starts. A client that came first
# would D-Bus-activate a second, locked daemon instead, so wait for the name.
has_owner() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
        grep -q 'boolean true'
}
for _ in $(seq 1 100); do
    if has_owner; then
        break
    fi
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if ! has_owner; then
    echo "with-keyring: gnome-keyring-daemon did not come up on the session bus; its log:" >&2
    cat "$keyring_tmp/daemon.log" >&2 || true
    exit 1
fi

export GNOME_KEYRING_CONTROL="$keyring_tmp/run/keyring"
export COFFER_KEYRING_READY=1

set +e
"$@"
status=$?
set -e
exit "$status"
