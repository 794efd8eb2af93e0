#!/usr/bin/env bash
# Builds the API reference, warnings as errors, into build/docs/:
#   c/       the C API (Doxygen, from the comments in include/nnom/*.h)
#   swift/   the Swift modules NNoMRuntime and NNoM (DocC, from their documentation comments)
#   python/  the nnom Python package (Markdown, from its docstrings; the
#            package must be installed: pip install ./python)
# Needs doxygen (scripts/setup.sh installs it) and Swift 6 (docc ships with it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/docs
rm -rf "$out" && mkdir -p "$out/c" "$out/swift" "$out/python"

echo "docs: C API (Doxygen)"
doxygen docs/api/Doxyfile || { echo "docs: Doxygen warnings above"; exit 1; }

echo "docs: Swift modules (DocC)"
# A build of its own, from scratch: symbol graphs are written only when a module compiles.
graphs="$out/symbol-graphs"
swift build -j "$(nproc 2>/dev/null || echo 2)" --scratch-path "$out/.swift-build" --target NNoM \
  -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs/all" >/dev/null
docc="$(dirname "$(readlink -f "$(command -v swift)")")/docc"
for module in NNoMRuntime NNoM; do
  # only this module's own symbols (the build also writes its dependencies')
  mkdir -p "$graphs/$module"
  cp "$graphs/all/$module".*symbols.json "$graphs/$module/"
  "$docc" convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$graphs/$module" \
    --output-dir "$out/swift/$module" --fallback-display-name "$module" \
    --fallback-bundle-identifier "org.nnom.$module" --warnings-as-errors >/dev/null
done

echo "docs: Python package"
python3 docs/api/python_reference.py "$out/python/index.md"

echo "docs: build/docs/{c/html/index.html, swift/NNoMRuntime, swift/NNoM, python/index.md}"
