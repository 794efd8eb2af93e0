#!/usr/bin/env bash
# Builds the app on the runtime-only product (nothing of the host tools is
# compiled or linked), converts the digits fixture with the nnom CLI, and checks
# that the app's scores equal `nnom run`'s on the first 5 test images.
#   usage: examples/swift-app/check.sh path/to/nnom   (the built CLI)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
cli="$1"
work="$root/build/swift-app"
rm -rf "$work" && mkdir -p "$work"
swift build --package-path "$here" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
if find "$here/.build" -name '*.o' -path '*CNNoM.build*' | grep -q .; then
  echo "swift-app: the host tools were compiled into a runtime-only app" >&2
  exit 1
fi
app="$(swift build --package-path "$here" --show-bin-path)/nnom-classify"
fx="$root/Tests/fixtures/keras"
"$cli" convert "$fx/digits_cnn.keras" --calibration "$fx/digits_calib_x.npy" -o "$work/digits.nnom" >/dev/null
python3 - "$fx/digits_test_x.npy" "$work" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1])[:5]
np.save(f"{sys.argv[2]}/x5.npy", x)
with open(f"{sys.argv[2]}/x5.txt", "w") as f:
    for s in x:
        f.write(" ".join(repr(float(v)) for v in s.ravel()) + "\n")
PY
"$cli" run "$work/digits.nnom" --input "$work/x5.npy" -o "$work/y5.npy" >/dev/null
i=0
while read -r line; do
  # shellcheck disable=SC2086
  "$app" "$work/digits.nnom" $line > "$work/app$i.txt"
  i=$((i + 1))
done < "$work/x5.txt"
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
y = np.load(f"{work}/y5.npy")
for i, row in enumerate(y):
    lines = open(f"{work}/app{i}.txt").read().split("\n")
    scores = np.array([float(v) for v in lines[0].split()[1:]], dtype=np.float32)
    best = int(lines[1].split()[1])
    assert np.allclose(scores, row, atol=5e-5), (i, scores, row)
    assert best == int(np.argmax(row)), (i, best, row)
print(f"swift-app: {len(y)} of {len(y)} images give the CLI's scores and class (runtime-only product)")
PY
