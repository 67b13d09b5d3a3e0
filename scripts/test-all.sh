#!/usr/bin/env bash
# Runs every check Spoolscope has: formatting, lints, all tests, the wasm32 build of the
# engine crates, and the benchmark summary (numbers, not pass/fail).
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

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
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"

step "benchmark summary (release)"
cargo run --release -q -p spoolscope-bench --bin bench-summary

# One closing line over every test binary (doc-test runners with 0 tests included).
counts=$(awk '/^test result: /{for(i=1;i<=NF;i++){if($(i+1)~/^passed/)p+=$i; if($(i+1)~/^failed/)f+=$i}} END{printf "%d passed, %d failed", p, f}' "$log")
printf '\ntests: %s\n' "$counts"
