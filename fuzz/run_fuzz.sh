#!/usr/bin/env bash
# run_fuzz.sh TARGET SECONDS CORPUS CRASHES [SEED_FOLDER...]: fuzzes TARGET for SECONDS, from the inputs
# in CORPUS (where new ones are added) and the seed folders (read only, skipped when missing). Exits
# non-zero on a crash, a leak, a timeout or an out-of-memory, with the input saved in CRASHES/.
set -euo pipefail
target=$1 seconds=$2 corpus=$3 crashes=$4
shift 4
mkdir -p "$corpus" "$crashes"
seeds=()
for folder in "$@"; do
  [ -d "$folder" ] && seeds+=("$folder")
done
# -timeout: one input taking this long is a finding (a parser must not hang on a few kilobytes);
# -max_len: certificates, PFX files and configs fit in 16 KiB; -rss_limit_mb stays below a CI runner's
# memory.
exec "$target" -max_total_time="$seconds" -timeout=10 -max_len=16384 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}"
