# Sourced by the benchmark scripts that run Python: installs what they need,
# once. The Debian packages come from scripts/setup.sh (without its Python
# list); bench_need installs a PyPI package when its module does not import;
# bench_nnom builds and installs the nnom package from this tree, so the
# figures are this tree's (NNOM_REUSE_INSTALLED=1 keeps an installed one).
# PYTHON selects the interpreter.
#   source benchmarks/python_env.sh
#   bench_need NAME MODULE PIP_PACKAGE     e.g. bench_need memory tensorflow tensorflow-cpu
#   bench_nnom NAME
PY=${PYTHON:-python3}

# Debian packages (cmake, ninja, valgrind, compilers, the converter's libraries) only.
NNOM_SETUP_PYTHON=0 bash scripts/setup.sh

bench_pip() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }

bench_need() {
  if ! "$PY" -c "import $2" 2>/dev/null; then
    echo "$1: installing $3"
    bench_pip "$3"
  fi
}

bench_nnom() {
  if [ "${NNOM_REUSE_INSTALLED:-0}" != 1 ] || ! "$PY" -c "import nnom" 2>/dev/null; then
    echo "$1: installing the nnom package from ./python"
    bench_pip ./python
  fi
}
