#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (issue 9) with libFuzzer, on the nightly toolchain:
#   scenario_toml, scenario_json  bytes -> parse, resolve and compile a scenario (spoolscope check)
#   link                          bytes -> open a share link (parse, inflate, limits, versions)
#   wire                          bytes -> the worker wire format, and a worker session answering
#   run                           a generated scenario with generated scripts and events, run twice
#
#   bash scripts/fuzz.sh [TARGET...]          fuzz each target for FUZZ_SECONDS (default 60)
#   bash scripts/fuzz.sh --smoke [TARGET...]  replay each target's corpus, then fuzz a few seconds
#                                             (FUZZ_SMOKE_SECONDS, default 8): the test command's step
#
# A panic, a hang (longer than the target's -timeout) or memory over -rss_limit_mb is a failure:
# the input is saved under fuzz/artifacts/TARGET/ and the script exits 1 after the other targets,
# printing how to replay it. Fix the bug and add a regression test in the crate it lives in.
# The full mode keeps what it finds in fuzz/work/TARGET/ (not committed) next to the seed corpus
# fuzz/corpus/TARGET/ (committed; seeded from tests/scenarios, web/presets and tests/links); the
# smoke mode starts from the seed corpus alone each time, with a fixed libFuzzer seed.
# No sanitizer by default (the code is safe Rust but for one pointer in crates/script/src/host.rs;
# AddressSanitizer makes runs ~5x slower): FUZZ_SANITIZER=address turns it on.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

ALL_TARGETS=(scenario_toml scenario_json link wire run)
smoke=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) targets+=("$arg") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

# Per-input limits: a hang or a runaway allocation fails the run. A whole run of a scenario may
# use the script budget of 4 million operations (about 1 s in a fuzz build); `run` runs each
# scenario two or three times.
timeout_of() {
  case "$1" in
    run) echo 60 ;;
    wire) echo 30 ;;
    *) echo 10 ;;
  esac
}
RSS_LIMIT_MB=2048

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz 0.13.2 (about 1 minute)"
  cargo install -q cargo-fuzz --version 0.13.2 --locked
fi

sanitizer="${FUZZ_SANITIZER:-none}"
echo "==> cargo +nightly fuzz build --sanitizer $sanitizer (release, debug assertions on)"
cargo +nightly fuzz build --sanitizer "$sanitizer" --debug-assertions
triple=$(rustc -vV | awk '/^host:/{print $2}')
bin="fuzz/target/$triple/release"

if [ "$smoke" = 1 ]; then
  seconds="${FUZZ_SMOKE_SECONDS:-8}"
else
  seconds="${FUZZ_SECONDS:-60}"
fi

failed=()
summary=()
started=$SECONDS
for t in "${targets[@]}"; do
  if [ ! -x "$bin/$t" ]; then
    echo "fuzz.sh: no target $t (targets: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
  mkdir -p "fuzz/artifacts/$t"
  if [ "$smoke" = 1 ]; then
    work=$(mktemp -d)
    extra=(-seed=1)
  else
    work="fuzz/work/$t"
    mkdir -p "$work"
    extra=()
  fi
  log=$(mktemp)
  echo
  echo "==> $t: ${seconds}s (-timeout=$(timeout_of "$t") -rss_limit_mb=$RSS_LIMIT_MB)"
  t0=$SECONDS
  status=0
  "$bin/$t" "$work" "fuzz/corpus/$t" \
    -max_total_time="$seconds" -timeout="$(timeout_of "$t")" -rss_limit_mb="$RSS_LIMIT_MB" \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1 || status=$?
  took=$((SECONDS - t0))
  # The corpus load ("INITED") and the last status line, then the final stats.
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -2 || true
  execs=$(awk '/^stat::number_of_executed_units:/{print $2}' "$log")
  speed=$(awk '/^stat::average_exec_per_sec:/{print $2}' "$log")
  if [ "$status" != 0 ]; then
    tail -60 "$log"
    artifact=$(grep -oE "fuzz/artifacts/$t/[^ ]+" "$log" | tail -1 || true)
    echo "==> $t FAILED (exit $status) after ${took}s; input: ${artifact:-see above}"
    echo "    replay: $bin/$t ${artifact:-ARTIFACT}   (or: cargo +nightly fuzz run --sanitizer $sanitizer $t ${artifact:-ARTIFACT})"
    failed+=("$t")
  fi
  summary+=("$(printf '%-14s %4ss  %9s execs  %7s execs/s%s' "$t" "$took" "${execs:-?}" "${speed:-?}" "$([ "$status" = 0 ] || echo '  FAILED')")")
  rm -f "$log"
  if [ "$smoke" = 1 ]; then rm -rf "$work"; fi
done

echo
echo "==> fuzzing summary ($((SECONDS - started))s)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
