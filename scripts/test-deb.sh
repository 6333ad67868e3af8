#!/usr/bin/env bash
# Installs the .deb that scripts/package-deb.sh made, checks what it installed
# (`coffer --version`, `coffer --profile local ls` on a fresh data dir, the menu entry,
# completions, man page, the agent's unit and autostart entry), and removes it again.
# Needs root (or sudo): dpkg installs system-wide.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "test-deb: needs root or sudo to install a package; skipped" >&2
    exit 0
fi
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

deb="$(scripts/package-deb.sh "$@" | tail -n 1)"
[[ -f "$deb" ]] || fail "no package was made"
name="$(dpkg-deb -f "$deb" Package)"
echo "test-deb: installing $deb ($name)"
"${SUDO[@]}" dpkg -i "$deb"
trap '"${SUDO[@]}" dpkg -r "$name" >/dev/null 2>&1 || true' EXIT

[[ "$(command -v coffer)" == /usr/bin/coffer ]] || fail "coffer is not /usr/bin/coffer: $(command -v coffer)"
coffer --version | grep -q '^coffer ' || fail "coffer --version"
home="$(mktemp -d)"
COFFER_HOME="$home" coffer --profile local mb s3://deb-check
COFFER_HOME="$home" coffer --profile local ls | grep -q deb-check || fail "coffer ls on the local profile"
rm -rf "$home"
for f in /usr/share/applications/*offer*.desktop \
    /usr/share/bash-completion/completions/coffer \
    /usr/share/zsh/vendor-completions/_coffer \
    /usr/share/fish/vendor_completions.d/coffer.fish \
    /usr/share/man/man1/coffer.1.gz \
    /usr/lib/systemd/user/coffer-agent.service \
    /etc/xdg/autostart/coffer-agent.desktop; do
    [[ -e "$f" ]] || fail "missing $f"
done
dpkg -L "$name" | grep -q '/usr/share/icons/' || fail "no icons"
grep -q '^_coffer' /usr/share/bash-completion/completions/coffer || fail "bash completions"

"${SUDO[@]}" dpkg -r "$name"
trap - EXIT
[[ ! -e /usr/bin/coffer ]] || fail "coffer still installed after dpkg -r"
echo "test-deb: installed, checked and removed $name"
