#!/usr/bin/env bash
# Builds Coffer's Debian package with Tauri's bundler (tauri-cli from npm,
# `@tauri-apps/cli` in ui/package.json): the desktop app with its menu entry and icons,
# plus the `coffer` CLI on the PATH, its shell completions (bash, zsh, fish) and man
# page (generated from the clap definitions), the agent's systemd user unit and its
# XDG autostart entry. AppImage is left out: its bundler downloads tools at build time.
#
#   scripts/package-deb.sh              a debug build
#   scripts/package-deb.sh --release    an optimized build, for distribution
#   scripts/package-deb.sh --prebuilt   the debug binaries already in the target dir
#                                       (`coffer` and `coffer-desktop`, as
#                                       `cargo test --workspace --no-run` left them),
#                                       bundled with `tauri bundle`: no second build.
#                                       What CI installs and tests.
#
# Prints the path of the .deb. CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

profile=debug
tauri_flags=(--debug)
cargo_flags=()
tauri_verb=build
case "${1:-}" in
    --release)
        profile=release
        tauri_flags=()
        cargo_flags=(--release)
        ;;
    --prebuilt) tauri_verb=bundle ;;
    "") ;;
    *) echo "package-deb: unknown option $1" >&2; exit 2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

scripts/build-ui.sh >&2
if [[ "$tauri_verb" == bundle ]]; then
    for bin in coffer coffer-desktop; do
        [[ -x "$target_dir/$profile/$bin" ]] || {
            echo "package-deb: --prebuilt needs $target_dir/$profile/$bin (run cargo test --workspace --no-run)" >&2
            exit 1
        }
    done
else
    cargo build "${cargo_flags[@]}" -p coffer-cli --bin coffer >&2
fi

stage="$PWD/pkg/stage"
rm -rf "$stage"
mkdir -p "$stage"
cp "$target_dir/$profile/coffer" "$stage/coffer"
"$stage/coffer" completions bash >"$stage/coffer.bash"
"$stage/coffer" completions zsh >"$stage/_coffer"
"$stage/coffer" completions fish >"$stage/coffer.fish"
"$stage/coffer" man | gzip -9n >"$stage/coffer.1.gz"
cp contrib/systemd/coffer-agent.service "$stage/"
cp contrib/coffer-agent.desktop "$stage/"

# The bundle settings for this build only (tauri.conf.json keeps bundling off for
# plain `cargo build`s).
cat >"$PWD/pkg/tauri.deb.json" <<JSON
{
  "bundle": {
    "active": true,
    "targets": ["deb"],
    "category": "Utility",
    "shortDescription": "A storage manager for S3-compatible object storage",
    "longDescription": "Browse, transfer, share and back up data on any S3-compatible endpoint. Includes the coffer command and the Coffer agent.",
    "linux": {
      "deb": {
        "depends": ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libayatana-appindicator3-1", "gnome-keyring"],
        "files": {
          "/usr/bin/coffer": "$stage/coffer",
          "/usr/share/bash-completion/completions/coffer": "$stage/coffer.bash",
          "/usr/share/zsh/vendor-completions/_coffer": "$stage/_coffer",
          "/usr/share/fish/vendor_completions.d/coffer.fish": "$stage/coffer.fish",
          "/usr/share/man/man1/coffer.1.gz": "$stage/coffer.1.gz",
          "/usr/lib/systemd/user/coffer-agent.service": "$stage/coffer-agent.service",
          "/etc/xdg/autostart/coffer-agent.desktop": "$stage/coffer-agent.desktop"
        }
      }
    }
  }
}
JSON

# The UI was built above; the bundler need not build it again. `tauri bundle` packs
# the binary already built; `tauri build` compiles it first.
npm --prefix ui exec --no -- tauri "$tauri_verb" "${tauri_flags[@]}" --bundles deb \
    --config "$PWD/pkg/tauri.deb.json" --config '{"build":{"beforeBuildCommand":""}}' >&2
deb="$(ls -t "$target_dir/$profile/bundle/deb/"*.deb | head -n 1)"
echo "$deb"
