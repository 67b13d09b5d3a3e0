#!/usr/bin/env bash
# Installs what the playground needs and skips what is already there (idempotent):
# Debian's chromium and chromedriver, the wasm32 target, wasm-bindgen-cli, trunk, mdbook (the
# book, docs/book) and cargo-fuzz (fuzz/, with a nightly toolchain) at pinned versions, and the
# npm packages of package-lock.json (binaryen's wasm-opt 132, playwright-core, axe-core).
# Everything comes from the package registries (apt, crates.io, npm); nothing else is downloaded.
# Why these versions: trunk 0.22 needs a newer rustc than 1.95; wasm-bindgen-cli must equal the
# wasm-bindgen crate in Cargo.lock (its own lockfile wants a crate this registry lacks, hence no
# --locked); only binaryen 132's wasm-opt parses wasm-bindgen 0.2.13x output.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
MDBOOK_VERSION=0.5.4

locked=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock 2>/dev/null || true)
if [ -n "$locked" ] && [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup.sh: Cargo.lock has wasm-bindgen $locked but setup.sh and Trunk.toml pin $WASM_BINDGEN_VERSION" >&2
  exit 1
fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]} (about 40 s)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "==> rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  echo "==> cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
  echo "==> cargo install trunk $TRUNK_VERSION (about 9 minutes)"
  cargo install -q trunk --version "$TRUNK_VERSION" --locked --force
fi

# The small page build (scripts/serve.sh) rebuilds std with the nightly toolchain: it needs
# nightly's rust-src, which a fresh machine's nightly lacks (rustup installs it from its own
# dist server, as it does targets).
if rustup toolchain list 2>/dev/null | grep -q '^nightly' &&
  ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -qx 'rust-src'; then
  echo "==> rustup component add rust-src --toolchain nightly (the small page build)"
  rustup component add rust-src --toolchain nightly ||
    echo "could not add nightly's rust-src: the page is built with stable (larger; see README)"
fi

# cargo-fuzz for the fuzz targets (fuzz/, scripts/fuzz.sh); they build with the nightly toolchain.
CARGO_FUZZ_VERSION=0.13.2
if rustup toolchain list 2>/dev/null | grep -q '^nightly' &&
  ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  echo "==> cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 1 minute)"
  cargo install -q cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

if ! mdbook --version 2>/dev/null | grep -q " v$MDBOOK_VERSION\$"; then
  echo "==> cargo install mdbook $MDBOOK_VERSION (a few minutes)"
  cargo install mdbook --version "$MDBOOK_VERSION" --locked
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] || [ ! -d node_modules/playwright-core ] ||
  [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --silent
fi
