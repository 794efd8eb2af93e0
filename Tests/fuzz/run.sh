#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer, ASan, UBSan), generates their
# seed corpora from the fixtures and runs each target for a fixed time.
# Exits non-zero if a target crashes, leaks, times out or breaks an invariant;
# the input that did it is left in <build-dir>/artifacts/. See docs/fuzzing.md.
#
#   bash Tests/fuzz/run.sh [seconds per target, default 30] [build dir, default build/fuzz]
#
# The compiler: $NNOM_FUZZ_CC, else the clang beside `swift` (the Swift
# toolchain ships libFuzzer), else clang on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
build=${2:-build/fuzz}

pick_cc() {
  if [ -n "${NNOM_FUZZ_CC:-}" ]; then echo "$NNOM_FUZZ_CC"; return; fi
  if command -v swift >/dev/null 2>&1; then
    local beside
    beside="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
    if [ -x "$beside" ]; then echo "$beside"; return; fi
  fi
  command -v clang || true
}
cc=$(pick_cc)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' > "$probe/p.c"
if [ -z "$cc" ] || ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz: no clang with libFuzzer found (tried '${cc:-none}'); set NNOM_FUZZ_CC" >&2
  exit 1
fi
linker=()
if [ -x "$(dirname "$cc")/ld.lld" ]; then linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld); fi

cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNOM_FUZZ=ON \
  -DNNOM_WERROR=ON -DNNOM_BUILD_SHARED=OFF "${linker[@]}" >/dev/null
cmake --build "$build" --target nnom_fuzz -j "$(nproc 2>/dev/null || echo 2)"

rm -rf "$build/corpus"
python3 Tests/fuzz/make_corpus.py "$build" "$build/corpus"
mkdir -p "$build/artifacts"
failed=()
for src in Tests/fuzz/fuzz_*.c; do
  target=$(basename "$src" .c)
  exe="$build/Tests/fuzz/$target"
  dict=()
  if [ -f "Tests/fuzz/$target.dict" ]; then dict=(-dict="Tests/fuzz/$target.dict"); fi
  echo "== $target: $seconds s"
  mkdir -p "$build/corpus/$target"
  if ! "$exe" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 "$build/corpus/$target" \
       > "$build/$target.log" 2>&1; then
    failed+=("$target")
    tail -60 "$build/$target.log" >&2
  fi
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec)|DONE" "$build/$target.log" || true
done
if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} failed; reproduce with: $build/Tests/fuzz/<target> <artifact> (docs/fuzzing.md)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding"
