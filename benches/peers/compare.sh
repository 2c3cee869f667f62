#!/usr/bin/env bash
# Runs each peer implementation and ideaflow on the same workloads and
# prints a markdown table: workload, peer time, ideaflow time, ratio.
#
#   benches/peers/compare.sh            # everything (installs what is missing)
#   benches/peers/compare.sh --quick    # smaller workloads, for a smoke test
#
# Peer times are the peer's own step loop (network building, imports and
# start-up excluded); ideaflow times are the whole `ideaflow run` process
# (start-up, network building and writing every output file included), so
# the ratios favour the peers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$here/install.sh"
(cd "$root" && cargo build --release --locked -q)
ideaflow="$root/target/release/ideaflow"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

seconds() { python3 -c 'import sys,time; print(f"{float(sys.argv[1]):.4f}")' "$1"; }
now() { date +%s.%N; }
peer_seconds() { grep -o 'peer_seconds=[0-9.eE+-]*' | tail -1 | cut -d= -f2; }

# Times `ideaflow run` on a scenario: best of 5 whole-process runs (from
# starting the process to its exit, timed in Python so that no helper
# process is counted), each writing into a new output folder as a user's
# new experiment would (removing the previous one is not timed).
time_ideaflow() {
    python3 - "$ideaflow" "$1" "$work" <<'PY'
import shutil, subprocess, sys, time
exe, scenario, work = sys.argv[1:4]
best = None
for i in range(5):
    out = f"{work}/out{i}"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([exe, "run", scenario, "--out", out, "--quiet"], check=True)
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(best)
PY
}

bass_scenario() { # agents steps
    cat > "$work/bass.toml" <<TOML
model = "bass"
steps = $2
replicates = 1
seed = 1
[bass]
agents = $1
network = "small_world"
degree = 10
rewire = 0.1
dt = 0.1
TOML
    echo "$work/bass.toml"
}

rows=()
row() { rows+=("| $1 | $2 s | $3 s | $(python3 -c "print(f'{float(\"$2\")/float(\"$3\"):.0f}x')") |"); }

# 1. Bass small world in Mesa, at 20,000 agents (where ideaflow's process
#    start-up is a large part of its time) and at 100,000 (the krABMaga
#    workload below).
if [ $quick = 1 ]; then sizes="2000"; else sizes="20000 100000"; fi
for n in $sizes; do
    peer=$(python3 "$here/bass_mesa.py" --agents $n --steps 50 --seed 1 | peer_seconds)
    mine=$(time_ideaflow "$(bass_scenario $n 50)")
    row "Bass small world, $n agents, degree 10, 50 steps: Mesa" "$(seconds "$peer")" "$(seconds "$mine")"
done

# 2. Bass small world in krABMaga (a separate crate).
if [ $quick = 1 ]; then n=10000; else n=100000; fi
(cd "$here/krabmaga" && cargo build --release -q)
peer=$("$here/krabmaga/target/release/krabmaga-bass-peer" --agents $n --steps 50 --seed 1 | peer_seconds)
mine=$(time_ideaflow "$(bass_scenario $n 50)")
row "Bass small world, $n agents, degree 10, 50 steps: krABMaga" "$(seconds "$peer")" "$(seconds "$mine")"

# 3. March (1991) Figure 1 sweep in vectorised numpy.
if [ $quick = 1 ]; then r=100; else r=2000; fi
peer=$(python3 "$here/march_numpy.py" --replicates $r --seed 1 | peer_seconds)
sed "s/^replicates = .*/replicates = $r/" "$root/scenarios/march1991-fig1.toml" > "$work/fig1.toml"
mine=$(time_ideaflow "$work/fig1.toml")
row "March Figure 1 sweep, 27 points x $r replicates: numpy" "$(seconds "$peer")" "$(seconds "$mine")"

# 4. A climate-like contagion in Mesa against the (much richer) climate model.
if [ $quick = 1 ]; then e=200; else e=2000; fi
peer=$(python3 "$here/climate_mesa.py" --employees $e --steps 104 --seed 1 | peer_seconds)
cat > "$work/climate.toml" <<TOML
steps = 104
replicates = 1
seed = 1
[climate.organisation]
departments = 1
teams_per_department = $((e / 10))
team_size = 10
TOML
mine=$(time_ideaflow "$work/climate.toml")
row "Climate, $e employees, 104 weeks: Mesa contagion vs ideaflow climate model" "$(seconds "$peer")" "$(seconds "$mine")"

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(python3 -c 'import mesa; print("Mesa", mesa.__version__)' 2>/dev/null), $(python3 -c 'import numpy; print("numpy", numpy.__version__)')"
echo
echo "| workload | peer | ideaflow (whole process) | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
