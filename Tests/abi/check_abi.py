#!/usr/bin/env python3
"""ABI checks of the public headers (include/nnom), run by ctest (Tests/abi/CMakeLists.txt).

  check_abi.py symbols <include dir> <libnnom.so> <nm>
      The dynamic symbols libnnom.so defines are exactly the functions the headers
      declare with NNOM_API: nothing internal exported, nothing declared missing.

  check_abi.py layout <include dir> <work dir> <compiler> [extra flags...]
      Compiles one file including every public header twice, with -fshort-enums and
      with -fno-short-enums, and compares the layout the compiler recorded in the
      debug information (DWARF, read with readelf): the size of every nnom_ struct,
      union and enum, and the offset of every member. Every struct and enum the
      headers define must be found, so the check follows the headers as they grow.

  check_abi.py ctypes <include dir> <work dir> <compiler> <python file>...
      The ctypes.Structure classes of each Python file that name a C struct in
      `_c_name_` (hand-written mirrors, e.g. benchmarks/tflm_compare.py's) have
      the C struct's size, and its members under the same names at the same
      offsets, as the compiler lays them out (the same debug information).
"""
import ctypes
import importlib.util
import os
import re
import subprocess
import sys

HEADERS = ("nnom/nnom.h", "nnom/tools.h")


def header_texts(include_dir):
    folder = os.path.join(include_dir, "nnom")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".h"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                yield name, f.read()


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def declared_functions(include_dir):
    names = {}
    for header, text in header_texts(include_dir):
        code = strip_comments(text)
        for m in re.finditer(r"^\s*NNOM_API\b([^;{]*?)\b(nnom_\w+)\s*\(", code, flags=re.M):
            names[m.group(2)] = header
    return names


def check_symbols(include_dir, library, nm):
    declared = declared_functions(include_dir)
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True, capture_output=True, text=True).stdout
    exported = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWDdBbRrVi":
            exported.add(parts[2].split("@")[0])
    problems = []
    for name in sorted(exported - set(declared)):
        problems.append(f"exported but not declared with NNOM_API in include/nnom: {name}")
    for name in sorted(set(declared) - exported):
        problems.append(f"declared with NNOM_API in nnom/{declared[name]} but not exported: {name}")
    if len(declared) < 10:
        problems.append(f"only {len(declared)} NNOM_API prototypes found in {include_dir}: is the parser broken?")
    for p in problems:
        print(p)
    print(f"{len(exported)} symbols exported by {os.path.basename(library)}, {len(declared)} functions declared")
    return not problems


def public_types(include_dir):
    """The struct and enum types the headers define: {"struct nnom_x", "enum nnom_y"}."""
    kinds = set()
    for _, text in header_texts(include_dir):
        code = strip_comments(text)
        for m in re.finditer(r"\btypedef\s+(struct|union|enum)\s+(nnom_\w+)\s*\{", code):
            kinds.add(f"{m.group(1)} {m.group(2)}")
    return kinds


DIE = re.compile(r"^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((DW_TAG_\w+)\)")
ATTR = re.compile(r"^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$")
TAGS = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union", "DW_TAG_enumeration_type": "enum"}


def layouts(dwarf_text):
    """{"struct nnom_x": ["size N", "member @offset", ...]} of the nnom_ types in readelf's dump."""
    types = {}
    current = None      # the list of the nnom_ type being read (depth 1), or None
    die = None          # (depth, tag, attrs) of the DIE being read
    def finish():
        nonlocal current
        if die is None:
            return
        depth, tag, attrs = die
        name = attrs.get("DW_AT_name", "").split(": ")[-1].strip()
        if depth == 1:
            current = None
            if tag in TAGS and name.startswith("nnom_"):
                current = types.setdefault(f"{TAGS[tag]} {name}", [])
                current.append(f"size {attrs.get('DW_AT_byte_size', '?')}")
        elif depth == 2 and current is not None and tag == "DW_TAG_member":
            current.append(f"{name} @{attrs.get('DW_AT_data_member_location', '0')}")
    for line in dwarf_text.splitlines():
        m = DIE.match(line)
        if m:
            finish()
            die = (int(m.group(1)), m.group(2), {})
            continue
        a = ATTR.match(line)
        if a and die is not None:
            die[2][a.group(1)] = a.group(2).strip()
    finish()
    return types


def compile_layout(include_dir, work, compiler, flags, enum_flag, readelf):
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "abi_layout.c")
    with open(src, "w", encoding="utf-8") as f:
        f.write("/* every public header, for check_abi.py layout */\n")
        for h in HEADERS:
            f.write(f'#include "{h}"\n')
    obj = os.path.join(work, f"abi_layout{enum_flag}.o")
    subprocess.run([compiler, *flags, enum_flag, "-std=c99", "-g", "-gdwarf-4", "-fno-eliminate-unused-debug-types",
                    "-I", include_dir, "-c", src, "-o", obj], check=True)
    dump = subprocess.run([readelf, "--debug-dump=info", obj], check=True, capture_output=True, text=True).stdout
    return layouts(dump)


def check_layout(include_dir, work, compiler, flags):
    readelf = os.environ.get("READELF", "readelf")
    short = compile_layout(include_dir, work, compiler, flags, "-fshort-enums", readelf)
    wide = compile_layout(include_dir, work, compiler, flags, "-fno-short-enums", readelf)
    problems = []
    for t in sorted(public_types(include_dir)):
        if t not in wide:
            problems.append(f"{t}: defined in include/nnom but not found in the debug information")
    differ = [t for t in sorted(set(short) | set(wide)) if short.get(t) != wide.get(t)]
    for t in differ:
        problems.append(f"{t} differs: with -fshort-enums {short.get(t)}, without {wide.get(t)}")
    for p in problems:
        print(p)
    n_struct = sum(1 for t in wide if not t.startswith("enum "))
    n_enum = sum(1 for t in wide if t.startswith("enum "))
    print(f"{os.path.basename(compiler)} {' '.join(flags)}: of {n_struct} structs and {n_enum} enums, "
          f"{len(differ)} differ with and without -fshort-enums")
    return not problems


def ctypes_mirrors(path):
    """{C struct name: ctypes.Structure class} of the classes in the Python file with a _c_name_."""
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {cls._c_name_: cls for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, ctypes.Structure) and hasattr(cls, "_c_name_")}


def check_ctypes(include_dir, work, compiler, files):
    c = compile_layout(include_dir, work, compiler, [], "-fno-short-enums", os.environ.get("READELF", "readelf"))
    problems, n = [], 0
    for path in files:
        mirrors = ctypes_mirrors(path)
        if not mirrors:
            problems.append(f"{path}: no ctypes.Structure with a _c_name_")
        for name, cls in sorted(mirrors.items()):
            n += 1
            where = f"{os.path.basename(path)}: {cls.__name__} (struct {name})"
            want = c.get(f"struct {name}")
            if want is None:
                problems.append(f"{where}: no such struct in include/nnom")
                continue
            got = [f"size {ctypes.sizeof(cls)}"] + [f"{f[0]} @{getattr(cls, f[0]).offset}" for f in cls._fields_]
            if got != want:
                problems.append(f"{where} does not match the header: ctypes {got}, C {want}")
    for p in problems:
        print(p)
    print(f"{n} ctypes mirrors of C structs checked against the headers, {len(problems)} problems")
    return not problems


def main(argv):
    if len(argv) >= 4 and argv[0] == "symbols":
        return 0 if check_symbols(argv[1], argv[2], argv[3]) else 1
    if len(argv) >= 4 and argv[0] == "layout":
        return 0 if check_layout(argv[1], argv[2], argv[3], argv[4:]) else 1
    if len(argv) >= 5 and argv[0] == "ctypes":
        return 0 if check_ctypes(argv[1], argv[2], argv[3], argv[4:]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
