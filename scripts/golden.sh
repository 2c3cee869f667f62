#!/usr/bin/env bash
# Golden check: every output a change must leave byte-identical.
#
# Runs every bundled scenario (scenarios/*.toml and scenarios/practices/*.toml)
# with a few replicates and steps, teams.csv switched on for the climate
# model, on 1 and on 2 threads, and prints a SHA-256 for every CSV file,
# every `show` output and each manifest without the fields that differ
# between runs of the same experiment (times, command line, threads, build).
# Both thread counts must give the same hashes (the script fails if not).
#
#   scripts/golden.sh [BINARY]            print the hashes
#   scripts/golden.sh --check [BINARY]    compare with scripts/golden.sha256
#   scripts/golden.sh --record [BINARY]   write scripts/golden.sha256
#
# BINARY defaults to target/release/ideaflow (built with cargo build
# --release). Needs bash, python3 (for the manifest) and sha256sum.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mode=print
case "${1:-}" in
    --check) mode=check; shift ;;
    --record) mode=record; shift ;;
esac
bin="$(realpath "${1:-$here/target/release/ideaflow}")"
[ -x "$bin" ] || { echo "golden.sh: no ideaflow binary at $bin (cargo build --release)" >&2; exit 2; }
steps=30        # above every bundled intervention's `at` (at most 26)
replicates=2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/scenarios" "$work/scenarios"
cd "$work"

# teams.csv on for every climate scenario: in its [output] table, or in a
# new one (a practice's own [output] does not stop the base's other keys).
python3 - <<'EOF'
import glob, re
for path in sorted(glob.glob("scenarios/*.toml") + glob.glob("scenarios/practices/*.toml")):
    text = open(path).read()
    if re.search(r'^model\s*=\s*"(bass|march)"', text, re.M):
        continue
    lines = [l for l in text.splitlines() if not re.match(r"\s*teams\s*=", l)]
    if "[output]" in lines:
        i = lines.index("[output]")
        lines.insert(i + 1, "teams = true")
    else:
        lines += ["", "[output]", "teams = true"]
    open(path, "w").write("\n".join(lines) + "\n")
EOF

# A manifest without what differs between runs of one experiment.
strip_manifest() {
    python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
for k in ["started", "finished", "elapsed_seconds", "command_line", "threads", "program"]:
    m.pop(k, None)
json.dump(m, sys.stdout, sort_keys=True, indent=1)
' "$1"
}

hashes() { # threads
    local threads="$1" f name out
    for f in scenarios/*.toml scenarios/practices/*.toml; do
        name="${f#scenarios/}"; name="${name%.toml}"
        out="out-$threads/$name"
        "$bin" run "$f" --out "$out" --steps "$steps" --replicates "$replicates" \
            --threads "$threads" --quiet
        for csv in "$out"/*.csv; do
            printf '%s  %s\n' "$(sha256sum < "$csv" | cut -d' ' -f1)" "$name/${csv##*/}"
        done
        printf '%s  %s\n' "$(strip_manifest "$out/manifest.json" | sha256sum | cut -d' ' -f1)" "$name/manifest.json"
        printf '%s  %s\n' "$("$bin" show "$f" | sha256sum | cut -d' ' -f1)" "$name/show"
    done
}

one="$(hashes 1)"
two="$(hashes 2)"
if [ "$one" != "$two" ]; then
    echo "golden.sh: outputs differ between 1 and 2 threads:" >&2
    diff <(echo "$one") <(echo "$two") >&2 || true
    exit 1
fi
case "$mode" in
    print) echo "$one" ;;
    record) echo "$one" > "$here/scripts/golden.sha256"; echo "recorded $(echo "$one" | wc -l) hashes in scripts/golden.sha256" ;;
    check)
        if diff <(echo "$one") "$here/scripts/golden.sha256" >&2; then
            echo "golden: $(echo "$one" | wc -l) hashes match scripts/golden.sha256"
        else
            echo "golden.sh: outputs differ from scripts/golden.sha256 (lines above: < now, > recorded)" >&2
            exit 1
        fi
        ;;
esac
