#!/usr/bin/env bash
# The README's first command: installs whatever this machine lacks (scripts/setup.sh, idempotent),
# builds the playground page in release mode with trunk into dist/, and serves dist/ on
# http://127.0.0.1:8080 with a plain static server (PORT=NNNN to change the port,
# TRUNK_BUILD_DIST=DIR to build and serve another folder than dist/).
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

# Trunk.toml builds offline (no tool downloads, cargo --offline): fetch the crates first.
step "cargo fetch"
cargo fetch -q

step "trunk build --release ($DIST/)"
trunk build --release

if $build_only; then
  exit 0
fi

step "serving $DIST/"
echo "Spoolscope is at http://$ADDR:$PORT/  (Ctrl-C stops the server)"
exec python3 -m http.server "$PORT" --bind "$ADDR" --directory "$DIST"
