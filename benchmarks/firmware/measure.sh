# Shared by benchmarks/firmware/run.sh and zoo.sh (sourced, not run): cross-builds one model's
# firmware (examples/cortex-m4), runs it under QEMU with the instruction-counting plugin, checks its
# outputs against the host runtime's and appends its figures to $results and its per-layer-type
# figures to $layers_out.
# The caller sets root (the repository), build (build folder), gen (make_headers' output folder),
# jobs and BENCH_RUNS, then calls measure_setup (the plugin, empty $results and $layers_out);
# PROFILE=1 also prints the hottest blocks. NNOM_BENCH_UNALIGNED=1 passes unaligned=1 to the plugin:
# the estimated cycles then include the Cortex-M4 unaligned-access penalty, and the unaligned
# accesses per inference are printed (default runs are unchanged). NNOM_BENCH_COMPACT=ON builds the
# runtime with NNOM_COMPACT_KERNELS (the kernels' compact forms at -O2 too).

measure_setup() {
  echo "== plugin"
  plugin=$(tools/qemu-insn-plugin/build.sh "$build/plugin")
  results=$build/results.txt
  layers_out=$build/layers.txt
  : >"$results"
  : >"$layers_out"
}

# Sums input sections of the link map ("Linker script and memory map" part) by
# origin: $1 = map, $2 = section pattern; prints "runtime libc board" bytes.
sections_by_origin() { # map pattern
  awk -v pat="$2" '
    function hex(s,   i, c, v) {
      v = 0; s = tolower(substr(s, 3))
      for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
      return v
    }
    function add(file, size) {
      if (file ~ /libnnom\.a/) rt += size
      else if (file ~ /lib(c|g|gcc|m|c_nano|g_nano)\.a|crt|libnosys/) lib += size
      else board += size
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    $1 ~ "^\\.(" pat ")" && NF == 1 { pending = 1; next }
    pending && $1 ~ /^0x/ && NF >= 3 { add($3, hex($2)); pending = 0; next }
    { pending = 0 }
    $1 ~ "^\\.(" pat ")" && NF >= 4 && $2 ~ /^0x/ { add($4, hex($3)) }
    END { printf "%d %d %d\n", rt, lib, board }' "$1"
}
sym_size() { arm-none-eabi-nm -S -t d "$1" | awk -v s="$2" '$4 == s { n += $2 } END { print n + 0 }'; }
sym_addr() { arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1 }'; }

measure() { # model opt kernels layers
  local model=$1 opt=$2 kernels=$3 layers=$4
  local type=MinSizeRel; [ "$opt" = O2 ] && type=Release
  local portable=OFF; [ "$kernels" = portable ] && portable=ON
  local dir=$build/$model-$opt-$kernels-$layers
  # "minimal": the model's layers only, int8 kernels only, no message text
  local fw_layers=$layers extra="-DNNOM_INT8_ONLY=OFF -DNNOM_TERSE_ERRORS=OFF"
  [ "$layers" = minimal ] && { fw_layers=auto; extra="-DNNOM_INT8_ONLY=ON -DNNOM_TERSE_ERRORS=ON"; }
  cmake -S examples/cortex-m4 -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=$type "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" -DFW_POOL_BYTES=$((512 * 1024)) \
    -DFW_PORTABLE_KERNELS=$portable -DFW_LAYERS=$fw_layers -DFW_BENCH_RUNS="$BENCH_RUNS" \
    -DNNOM_COMPACT_KERNELS="${NNOM_BENCH_COMPACT:-OFF}" -DFW_MODEL_DIR="$root/$gen" -DFW_MODELS="$model" $extra >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  local elf=$dir/fw_$model.elf
  local args="begin=$(sym_addr "$elf" fw_bench_begin),end=$(sym_addr "$elf" fw_bench_end),layer=$(sym_addr "$elf" fw_layer_timer)"
  [ -n "${PROFILE:-}" ] && args="$args,profile=15"
  [ "${NNOM_BENCH_UNALIGNED:-0}" = 1 ] && args="$args,unaligned=1"
  local out
  out=$(timeout 300 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
        -kernel "$elf" -plugin "$plugin,$args" -d plugin 2>&1)
  printf '%s\n' "$out" >"$dir/qemu.log" # the plugin's per-layer slots too ("insn_count: layer <slot> ...")
  if ! diff <(grep -E '^(plan|output)' <<<"$out") "$gen/${model}_expected.txt" >/dev/null; then
    echo "error: $model $opt $kernels: the firmware's outputs differ from the host runtime's"; exit 1
  fi
  local stats region regions cyc
  stats=$(grep '^stats:' <<<"$out")
  region=$(sed -E 's/.*region=([0-9]+).*/\1/' <<<"$(grep 'insn_count: total' <<<"$out")")
  regions=$(sed -E 's/.*regions=([0-9]+).*/\1/' <<<"$(grep 'insn_count: total' <<<"$out")")
  cyc=$(sed -E 's/.*region=([0-9]+).*/\1/' <<<"$(grep 'insn_count: estimated_cycles' <<<"$out")")
  get() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$stats"; }
  local runs macs arena model_ram stack
  runs=$(get bench_runs); macs=$(get macs); arena=$(get arena); model_ram=$(get model_ram); stack=$(get stack)
  [ "$regions" = "$runs" ] || { echo "error: $model $opt $kernels: $regions measured regions, not $runs"; echo "$out" | tail; exit 1; }
  local per_inf=$((region / runs)) cyc_inf=$((cyc / runs))
  # per layer type: the host's "layer <slot> <type> macs=<n> name=<layer>" lines (make_headers' NAME_layers.txt;
  # a tiled stage's layers have a slot per tile)
  # joined with the plugin's "insn_count: layer <slot> insns=<n> cycles=<n>" (summed over the runs)
  cat "$gen/${model}_layers.txt" - <<<"$out" | awk -v key="$model $opt $kernels $layers" -v runs="$runs" '
    $1 == "layer" { type[$2] = $3; sub("macs=", "", $4); macs[$2] = $4; layer[$2] = $5; slots++ }
    $1 == "insn_count:" && $2 == "layer" { sub("insns=", "", $4); sub("cycles=", "", $5); ins[$3] = $4; cyc[$3] = $5; timed++ }
    END {
      if (slots != timed) { printf "error: %s: the host lists %d timed layer calls, the firmware made %d\n", key, slots, timed > "/dev/stderr"; exit 1 }
      # a tiled layer has one slot per tile: counted once among the layers of its type
      for (k in type) { t = type[k]; ti[t] += ins[k] / runs; tc[t] += cyc[k] / runs; tm[t] += macs[k]; if (!seen[t, layer[k]]++) tn[t]++ }
      for (t in ti) printf "%s %s %d %d %d %d\n", key, t, tn[t], tm[t], ti[t], tc[t]
    }' >>"$layers_out"
  read -r rt lib board <<<"$(sections_by_origin "$dir/fw_$model.map" 'text|rodata')"
  local data=$(( $(sym_size "$elf" "${model}_model_data") + $(sym_size "$elf" fw_test_inputs) + $(sym_size "$elf" fw_test_labels) ))
  board=$((board - data))
  local static_ram; static_ram=$(sections_by_origin "$dir/fw_$model.map" 'data|bss' | awk '{ print $1 }')
  local rt_code; rt_code=$(sections_by_origin "$dir/fw_$model.map" 'text' | awk '{ print $1 }')
  echo "$model $opt $kernels $layers $per_inf $macs $rt $lib $board $data $arena $model_ram $static_ram $stack $rt_code $cyc_inf" >>"$results"
  printf '%-7s %-3s %-8s %-4s insns/inference %9d  insns/MAC %s  est. cycles/MAC %s  runtime flash %6d  arena %6d  stack %5d\n' \
    "$model" "$opt" "$kernels" "$layers" "$per_inf" "$(awk -v a="$per_inf" -v b="$macs" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$cyc_inf" -v b="$macs" 'BEGIN{printf "%.2f", a/b}')" "$rt" "$arena" "$stack"
  if [ "${NNOM_BENCH_UNALIGNED:-0}" = 1 ]; then
    grep '^insn_count: unaligned ' <<<"$out" | awk -v runs="$runs" '{ sub("accesses=", "", $3); sub("extra_cycles=", "", $4)
      printf "        unaligned accesses/inference %d  extra est. cycles/inference %d (included above)\n", $3 / runs, $4 / runs }'
  fi
  if [ -n "${PROFILE:-}" ]; then
    grep 'insn_count: block' <<<"$out" | while read -r _ _ addr ins execs; do
      echo "    $ins $execs $(arm-none-eabi-addr2line -f -e "$elf" "$addr" | head -1)"
    done
  fi
}

# Reading $results: the row of a model and build, a field of it, a ratio, a number with thousands separators.
row() { grep "^$1 $2 $3 $4 " "$results"; }
field() { awk -v k="$2" '{ print $k }' <<<"$1"; }
per_mac() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
kb() { awk -v a="$1" 'BEGIN { printf "%.1f KB", a / 1024 }'; }
group() { awk -v a="$1" 'BEGIN { s = sprintf("%d", a); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }
