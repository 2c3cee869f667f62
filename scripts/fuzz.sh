#!/usr/bin/env bash
# fuzz.sh: a coverage-guided fuzz campaign of the scenario loader with
# cargo-fuzz (libFuzzer), the target fuzz/fuzz_targets/scenario.rs.
#
# Usage:
#   scripts/fuzz.sh [RUNS] [libFuzzer options...]
#
#   RUNS     inputs to run (libFuzzer's -runs), default 1000000
#   options  passed to libFuzzer as they are, e.g. -seed=1 or -max_total_time=3600
#
# Environment:
#   IDEAFLOW_FUZZ_SANITIZER  cargo fuzz --sanitizer (default: none; `address`
#                            adds AddressSanitizer, about 2x slower)
#   CARGO_TARGET_DIR         where the fuzz build goes (default fuzz/target)
#
# What it does, each step only when needed (so it can be run again):
#   1. Installs cargo-fuzz 0.13.2 from crates.io (`cargo install
#      cargo-fuzz --version 0.13.2 --locked`) when `cargo fuzz` is missing.
#      cargo-fuzz wants a nightly compiler for its -Z flags; RUSTC_BOOTSTRAP=1
#      lets the stable one take them (the project's machines have one stable
#      toolchain, and no other can be fetched).
#   2. Seeds fuzz/corpus/scenario/ (git-ignored) with scenarios/*.toml,
#      scenarios/practices/*.toml, tests/fuzz-corpus/*.toml and one practice
#      that carries its own base after a `#%base%` line (see the target).
#      Files already there (found by earlier campaigns) are kept.
#   3. Runs the target for RUNS inputs with a 10 s time-out per input, the
#      dictionary fuzz/scenario.dict and a memory limit of 4 GiB, printing
#      libFuzzer's final statistics; the log is kept in fuzz/campaign.log
#      (git-ignored). Crashes go to fuzz/artifacts/scenario/.
#
# Reproduce one crash:   RUSTC_BOOTSTRAP=1 cargo fuzz run scenario fuzz/artifacts/scenario/crash-...
# Minimise it:           RUSTC_BOOTSTRAP=1 cargo fuzz tmin scenario fuzz/artifacts/scenario/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-1000000}"
shift || true
sanitizer="${IDEAFLOW_FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

corpus=fuzz/corpus/scenario
mkdir -p "$corpus"
for f in scenarios/*.toml scenarios/practices/*.toml tests/fuzz-corpus/*.toml; do
    dest="$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    [ -e "$dest" ] || cp "$f" "$dest"
done
own="$corpus/seed-own-base-psych-safety-training.toml"
if [ ! -e "$own" ]; then
    sed 's#"../baseline.toml"#"../fuzz-base.toml"#' scenarios/practices/psych-safety-training.toml >"$own"
    printf '\n#%%base%%\n' >>"$own"
    cat scenarios/baseline.toml >>"$own"
fi

export RUSTC_BOOTSTRAP=1
# The target's temporary trees (one per fuzzing process) are removed after.
trees="${TMPDIR:-/tmp}/ideaflow-fuzz"
trap 'rm -rf "$trees"' EXIT
status=0
start=$(date +%s)
cargo fuzz run --sanitizer "$sanitizer" scenario "$corpus" -- \
    -runs="$runs" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
    -dict=fuzz/scenario.dict -print_final_stats=1 "$@" 2>&1 | tee fuzz/campaign.log || status=$?
end=$(date +%s)
echo "fuzz.sh: wall time $((end - start)) s (build included), exit $status" | tee -a fuzz/campaign.log
exit "$status"
