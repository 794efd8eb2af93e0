#!/usr/bin/env bash
# Runs every test: the C tests (ctest) in a warnings-as-errors build, again
# under AddressSanitizer + UndefinedBehaviorSanitizer, each fuzz target for 20 s, a runtime-only build,
# the lean runtime of small firmware (Tests/lean), the Cortex-M4 firmware under QEMU, an installed-package consumer, the Swift
# module and CLI, then the Python package's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== C tests (RelWithDebInfo, -Werror)"
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNOM_WERROR=ON >/dev/null
cmake --build build/test -j "$jobs"
ctest --test-dir build/test --output-on-failure -j "$jobs"

echo "== C tests under ASan + UBSan"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNNOM_WERROR=ON -DNNOM_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

echo "== fuzz targets (libFuzzer + ASan + UBSan, clang), 20 s each; a crash fails the run"
bash Tests/fuzz/run.sh 20 build/fuzz

echo "== runtime-only build (no host dependencies)"
cmake -S . -B build/runtime-only -G Ninja -DNNOM_RUNTIME_ONLY=ON -DNNOM_WERROR=ON >/dev/null
cmake --build build/runtime-only -j "$jobs"

echo "== lean runtime (NNOM_INT8_ONLY + NNOM_TERSE_ERRORS), under ASan + UBSan"
cmake -S Tests/lean -B build/lean -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNNOM_WERROR=ON \
  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" >/dev/null
cmake --build build/lean -j "$jobs"
./build/lean/lean_runtime

echo "== firmware: Cortex-M4 cross build, QEMU runs bit-exact with the host, DSP kernels = portable"
bash Tests/firmware/run.sh

echo "== QEMU plugin: the unaligned-access accounting on a firmware with known unaligned loads and stores"
bash tools/qemu-insn-plugin/test/test.sh

echo "== install, then find_package(nnom) from other projects (shared library; static library with the host tools)"
rm -rf build/install build/consumer
cmake --install build/test --prefix "$PWD/build/install" >/dev/null
cmake -S Tests/cmake/consumer -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/consumer >/dev/null
LD_LIBRARY_PATH="$(dirname "$(find "$PWD/build/install" -name "libnnom.so.0" | head -1)")" ./build/consumer/consumer
rm -rf build/static_consumer
cmake -S Tests/cmake/static_consumer -B build/static_consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/static_consumer >/dev/null
./build/static_consumer/static_consumer Tests/fixtures/keras/activations.keras
# a firmware-like project on a runtime-only static install keeps only the layer types its header lists
rm -rf build/ro build/ro-install build/layers_consumer
cmake -S . -B build/ro -G Ninja -DNNOM_RUNTIME_ONLY=ON -DNNOM_BUILD_SHARED=OFF -DNNOM_WERROR=ON >/dev/null
cmake --build build/ro -j "$jobs" >/dev/null
cmake --install build/ro --prefix "$PWD/build/ro-install" >/dev/null
cmake -S Tests/cmake/layers_consumer -B build/layers_consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/ro-install" >/dev/null
cmake --build build/layers_consumer -j "$jobs" >/dev/null
./build/layers_consumer/layers_consumer

echo "== Swift: the NNoM module and the nnom CLI (swift test builds both)"
if command -v swift >/dev/null 2>&1; then
  swift build -j "$jobs"
  swift test -j "$jobs"
  echo "== Swift app on the runtime-only product NNoMRuntime (examples/swift-app)"
  bash examples/swift-app/check.sh "$(swift build --show-bin-path)/nnom"
else
  echo "swift not found: the Swift tests need Swift 6 on PATH" >&2
  exit 1
fi

echo "== Python package: build and install ./python, then pytest"
python3 -m pip install -q --disable-pip-version-check ./python
python3 -m pytest -q python/tests

echo "== API reference (Doxygen, DocC, Python docstrings), warnings as errors"
bash scripts/docs.sh

echo "all tests passed"
