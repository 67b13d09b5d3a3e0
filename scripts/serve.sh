#!/usr/bin/env bash
# The README's first command: installs whatever this machine lacks (scripts/setup.sh, idempotent),
# builds the playground page in release mode with trunk into dist/ and the book (docs/book, with
# mdbook) into dist/book/, and serves dist/ on http://127.0.0.1:8080 with a plain static server
# (PORT=NNNN to change the port, TRUNK_BUILD_DIST=DIR to build and serve another folder than
# dist/). The book's players load the playground from ../, so it is served at /book/.
#
#   bash scripts/serve.sh               # set up, build, serve
#   bash scripts/serve.sh --build-only  # set up and build (scripts/test-all.sh uses this)
set -euo pipefail
cd "$(dirname "$0")/.."

ADDR=127.0.0.1
PORT="${PORT:-8080}"
DIST="${TRUNK_BUILD_DIST:-dist}" # trunk reads TRUNK_BUILD_DIST too
build_only=false
case "${1:-}" in
  --build-only) build_only=true ;;
  "") ;;
  *) echo "usage: bash scripts/serve.sh [--build-only]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

# A taken port is found before the build, not after it.
if ! $build_only; then
  if ! python3 - "$ADDR" "$PORT" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
PY
  then
    echo "port $PORT on $ADDR is taken; run again with another one, e.g. PORT=8081 bash scripts/serve.sh" >&2
    exit 1
  fi
fi

step "set-up (scripts/setup.sh: skips what is installed)"
bash scripts/setup.sh

# trunk must find wasm-opt 132 from npm's binaryen first, and the cargo-installed tools.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# A smaller page: with a nightly toolchain that has rust-src (this machine kind carries one),
# the standard library is rebuilt for the page's wasm with panics that abort at once, no
# panic locations, and core's `optimize_for_size` (smaller sorting and formatting code): about
# 65 KB less after gzip. Without one, or with SPOOLSCOPE_STABLE=1, the stable toolchain builds
# it. The variables reach trunk's cargo and apply to wasm code only.
if [ -z "${SPOOLSCOPE_STABLE:-}" ] && rustup toolchain list 2>/dev/null | grep -q '^nightly' &&
  [ -d "$(rustup run nightly rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library" ]; then
  export RUSTUP_TOOLCHAIN=nightly
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
  echo "the page's wasm: $(rustc --version), std rebuilt (build-std, immediate abort, optimize_for_size)"
else
  echo "the page's wasm: $(rustc --version) (no nightly toolchain with rust-src: a larger bundle)"
fi

# Trunk.toml builds offline (no tool downloads, cargo --offline): fetch the crates first
# (with build-std, the standard library's own dependencies too).
step "cargo fetch"
cargo fetch -q --target wasm32-unknown-unknown

step "trunk build --release ($DIST/)"
# trunk copies (and preloads) every snippet in wasm-bindgen's output folder, stale ones too.
rm -rf target/wasm-bindgen/release/snippets
trunk build --release

# trunk's own minifier breaks wasm-bindgen's glue (Trunk.toml); esbuild (npm, package.json)
# minifies the glue and the styles in place (csp.py then refreshes their integrity hashes).
step "esbuild --minify (the glue and the styles)"
for f in "$DIST"/spoolscope-web-*.js "$DIST"/style-*.css; do
  esbuild "$f" --minify --log-level=warning --allow-overwrite --outfile="$f"
done

# The book, after trunk (which replaces the dist folder). mdbook reads a relative -d as relative
# to the book, hence the absolute path. The scenario files go beside the chapters, so that
# `spoolscope links check dist/book` can check each built player against its marker and file.
book_out="$(cd "$DIST" && pwd)/book"
step "mdbook build docs/book ($DIST/book/)"
mdbook build docs/book -d "$book_out"
mkdir -p "$book_out/scenarios"
cp docs/book/scenarios/*.toml "$book_out/scenarios/"

# The Content-Security-Policy (links §7): inline scripts (trunk's loader, mdbook's set-up) move
# into files, every page gets the policy as a meta tag, and dist/_headers the frame-ancestors.
step "Content-Security-Policy (scripts/csp.py apply $DIST)"
python3 scripts/csp.py apply "$DIST"

if $build_only; then
  exit 0
fi

step "serving $DIST/"
echo "Spoolscope is at http://$ADDR:$PORT/  (Ctrl-C stops the server)"
echo "the book: http://$ADDR:$PORT/book/"
# python3 -m http.server, sending the policy's frame-ancestors header as well.
exec python3 scripts/csp.py serve "$DIST" "$ADDR" "$PORT"
