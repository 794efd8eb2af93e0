#!/usr/bin/env bash
# Builds the API reference, warnings as errors, into build/docs/:
#   c/       the C API (Doxygen, from the comments in include/nnom/*.h)
#   swift/   the NNoM Swift module (DocC, from its documentation comments)
#   python/  the nnom Python package (Markdown, from its docstrings; the
#            package must be installed: pip install ./python)
# Needs doxygen (scripts/setup.sh installs it) and Swift 6 (docc ships with it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/docs
rm -rf "$out" && mkdir -p "$out"

echo "docs: C API (Doxygen)"
doxygen docs/api/Doxyfile

echo "docs: Swift module (DocC)"
swift build -j "$(nproc 2>/dev/null || echo 2)" --target NNoM \
  -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$out/symbol-graphs" >/dev/null
docc="$(dirname "$(readlink -f "$(command -v swift)")")/docc"
"$docc" convert Sources/NNoM/NNoM.docc --additional-symbol-graph-dir "$out/symbol-graphs" \
  --output-dir "$out/swift" --fallback-display-name NNoM --fallback-bundle-identifier org.nnom.NNoM \
  --warnings-as-errors >/dev/null

echo "docs: Python package"
mkdir -p "$out/python"
python3 docs/api/python_reference.py "$out/python/index.md"

echo "docs: build/docs/{c/html/index.html, swift/, python/index.md}"
