#!/usr/bin/env bash
# Fuzzes the wire frame decoder and the plan loader with libFuzzer for a fixed number of executions each.
#
#   bench/fuzz.sh                       # both targets, 10,000,000 executions each
#   RUNS=100000 bench/fuzz.sh           # fewer executions
#   TARGETS=plan-loader bench/fuzz.sh   # one target (wire-frames, plan-loader)
#   MAX_TOTAL_TIME=2400 bench/fuzz.sh   # also stop a target after that many seconds
#
# Builds fuzz/ (release, -sanitize=fuzzer on Swift code, coverage on C code: libyaml) into fuzz/.build-fuzz,
# copies each committed seed corpus (fuzz/corpus/TARGET) to a scratch corpus so new units never land in the
# repository, runs the target, and prints executions, exec/s, wall time, coverage and whether it crashed.
# Logs, scratch corpora and crash inputs go to fuzz/.build-fuzz/runs/TARGET/. Exit 1 when a target crashed.
# Needs only the Swift toolchain (its clang carries libFuzzer's runtime); runs as root after scripts/bootstrap.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$here/fuzz"
scratch="$fuzz/.build-fuzz"
RUNS="${RUNS:-10000000}"
TARGETS="${TARGETS:-wire-frames plan-loader}"
TIMEOUT_S="${TIMEOUT_S:-5}"
MAX_TOTAL_TIME="${MAX_TOTAL_TIME:-0}"

log() { printf '[fuzz] %s\n' "$*"; }

command -v swift >/dev/null || PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "fuzz.sh: no swift on PATH (nor in /opt/swift/usr/bin)" >&2; exit 2; }
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
if ! compgen -G "$toolchain/lib/clang/*/lib/linux/libclang_rt.fuzzer-$(uname -m).a" >/dev/null; then
  echo "fuzz.sh: the Swift toolchain at $toolchain has no libFuzzer runtime (libclang_rt.fuzzer)" >&2
  exit 2
fi

max_len() {
  case "$1" in
    wire-frames) echo 4096 ;;
    plan-loader) echo 8192 ;;
    *) echo "fuzz.sh: unknown target '$1' (wire-frames, plan-loader)" >&2; exit 2 ;;
  esac
}
for target in $TARGETS; do max_len "$target" >/dev/null; done

log "building fuzz/ (release, -sanitize=fuzzer) into $scratch"
build_start=$(date +%s)
swift build --package-path "$fuzz" --scratch-path "$scratch" -c release \
  -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link
bin="$(swift build --package-path "$fuzz" --scratch-path "$scratch" -c release --show-bin-path \
  -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link)"
log "built in $(( $(date +%s) - build_start )) s"

# The Swift runtime's backtracer would take the crash signals libFuzzer needs to record a crashing input.
export SWIFT_BACKTRACE=enable=no

summary=()
crashed=0
for target in $TARGETS; do
  out="$scratch/runs/$target"
  rm -rf "$out" && mkdir -p "$out/corpus" "$out/artifacts"
  cp "$fuzz/corpus/$target/"* "$out/corpus/"
  args=(-runs="$RUNS" -max_len="$(max_len "$target")" -timeout="$TIMEOUT_S" -rss_limit_mb=2048
        -dict="$fuzz/dict/${target%%-*}.dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/")
  if [ "$MAX_TOTAL_TIME" != 0 ]; then args+=(-max_total_time="$MAX_TOTAL_TIME"); fi
  log "$target: $bin/fuzz-$target ${args[*]} $out/corpus  (log: $out/fuzz.log)"
  start_ns=$(date +%s%N)
  status=0
  "$bin/fuzz-$target" "${args[@]}" "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
  wall_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

  final_stat() { awk -v k="stat::$1:" '$1 == k { print $2 }' "$out/fuzz.log" | tail -1; }
  execs="$(final_stat number_of_executed_units)"
  rate="$(final_stat average_exec_per_sec)"
  coverage="$(grep -E '^#[0-9]+' "$out/fuzz.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)"
  crash="$(ls "$out/artifacts" 2>/dev/null | head -1)"
  if [ "$status" != 0 ] || [ -n "$crash" ]; then
    crashed=1
    verdict="CRASH (exit $status): ${crash:+$out/artifacts/$crash}"
    grep -E 'fuzz failure|Fatal error|ERROR: libFuzzer|SUMMARY' "$out/fuzz.log" | head -5 || true
  else
    verdict="no crash"
  fi
  line="$(printf '%-12s executions %-10s exec/s %-7s wall %5d.%d s  %-20s %s' "$target" "${execs:-?}" \
    "${rate:-?}" $((wall_ms / 1000)) $((wall_ms % 1000 / 100)) "${coverage:-cov: ?}" "$verdict")"
  log "$line"
  summary+=("$line")
done

log "summary (RUNS=$RUNS, $(nproc) cores, $(swift --version 2>/dev/null | head -1))"
for line in "${summary[@]}"; do printf '  %s\n' "$line"; done
exit "$crashed"
