#!/usr/bin/env bash
# Runs every check Spoolscope has: formatting, lints, all Rust tests, the wasm32 build of the
# engine crates, the fuzz targets on their corpora, the benchmark summary (numbers, not
# pass/fail), the release build of the playground page and of the book, the book's links and
# DSN excerpts, the page's browser tests (Playwright driving Debian's Chromium) and the browser
# benchmark (numbers, not pass/fail).
# This is the README's test command; .ci/run calls exactly this. On a fresh machine it first
# installs what is missing (scripts/setup.sh, via scripts/serve.sh --build-only).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS
failed_steps=()

step "toolchain"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "engine crates build for wasm32-unknown-unknown"
cargo build --target wasm32-unknown-unknown -p spoolscope-contract -p spoolscope-engine -p spoolscope-script

step "cargo test --workspace"
log=$(mktemp)
nodelog=$(mktemp)
trap 'rm -f "$log" "$nodelog"' EXIT
cargo test --workspace 2>&1 | tee "$log" || failed_steps+=("cargo test")

# Each cargo-fuzz target replays its seed corpus (fuzz/corpus/) and fuzzes for a few seconds;
# the long run is `bash scripts/fuzz.sh` (60 s per target, README).
step "fuzz targets: corpus replay and a short run (scripts/fuzz.sh --smoke)"
bash scripts/fuzz.sh --smoke || failed_steps+=("fuzzing")

step "benchmark summary (release)"
cargo run --release -q -p spoolscope-bench --bin bench-summary

step "the page and the book: set-up, trunk build --release, mdbook build (scripts/serve.sh --build-only)"
bash scripts/serve.sh --build-only
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export SPOOLSCOPE_DIST="${TRUNK_BUILD_DIST:-dist}" # what the browser tests and benchmark serve

step "the CLI in release (the browser tests' oracle)"
cargo build --release -q -p spoolscope-cli

# The built book (HTML): every player replays to its recorded hash and still matches its marker
# and scenario file (links §6). print.html repeats every chapter's players and index.html the
# introduction's, so each link is checked more than once; the search index holds no links.
step "the book's links (spoolscope links check $SPOOLSCOPE_DIST/book)"
target/release/spoolscope links check "$SPOOLSCOPE_DIST/book" || failed_steps+=("book links")

step "the book's DSN excerpts (docs/book/check-dsn.py)"
python3 docs/book/check-dsn.py target/release/spoolscope || failed_steps+=("book DSN excerpts")

step "browser tests (node --test web/tests/)"
node --test --test-reporter=tap --test-concurrency=1 web/tests/ 2>&1 | tee "$nodelog" || failed_steps+=("browser tests")
echo "screenshots of every preset's final state: web/tests/screenshots/"

step "browser benchmark (numbers, not pass/fail)"
node web/bench/bench.mjs || echo "(the browser benchmark did not finish; it is not a test)"

printf '\n(test-all took %d min %d s)\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60))
if [ ${#failed_steps[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failed_steps[*]}"
fi

# One closing line over every test binary (doc-test runners with 0 tests included) and the
# node test runner's '# pass N' / '# fail N'.
counts=$(awk -v steps="${#failed_steps[@]}" '
  /^test result: /{for(i=1;i<=NF;i++){if($(i+1)~/^passed/)p+=$i; if($(i+1)~/^failed/)f+=$i}}
  /^# pass [0-9]+$/{p+=$3}
  /^# fail [0-9]+$/{f+=$3}
  END{if(f==0 && steps>0)f=steps; printf "%d passed, %d failed", p, f}' "$log" "$nodelog")
printf '\ntests: %s\n' "$counts"
[ ${#failed_steps[@]} -eq 0 ]
