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
rm -rf "$out" && mkdir -p "$out"

echo "docs: C API (Doxygen)"
doxygen docs/api/Doxyfile || { echo "docs: Doxygen warnings above"; exit 1; }

echo "docs: Swift modules (DocC)"
docc="$(dirname "$(readlink -f "$(command -v swift)")")/docc"
for module in NNoMRuntime NNoM; do
  swift build -j "$(nproc 2>/dev/null || echo 2)" --target "$module" \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$out/symbol-graphs/$module" >/dev/null
  # only this module's own symbol graph (the build also writes its dependencies')
  mkdir -p "$out/symbol-graphs/$module.only"
  cp "$out/symbol-graphs/$module/$module".*symbols.json "$out/symbol-graphs/$module.only/"
  "$docc" convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$out/symbol-graphs/$module.only" \
    --output-dir "$out/swift/$module" --fallback-display-name "$module" \
    --fallback-bundle-identifier "org.nnom.$module" --warnings-as-errors >/dev/null
done

echo "docs: Python package"
mkdir -p "$out/python"
python3 docs/api/python_reference.py "$out/python/index.md"

echo "docs: build/docs/{c/html/index.html, swift/NNoMRuntime, swift/NNoM, python/index.md}"
