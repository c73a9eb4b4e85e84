#!/usr/bin/env bash
# The whole test suite against an installed pixelkit, with no C compiler on PATH, then the demo and the
# `pixelkit` command (tools/check_installed_wheel.sh runs it on the repaired wheel; cibuildwheel's
# test-command runs it on each wheel it builds):
#
#   tools/test_installed.sh SOURCE_TREE [PYTHON]
#
# SOURCE_TREE is a checkout or an unpacked sdist: its tests and what they read (fixtures, examples,
# benchmarks, tools, README, .ci/run) are copied to a temporary folder, without the package sources and
# the build script, so only the installed package can be imported.  PYTHON (default: `python` on PATH)
# is the interpreter of the environment that has pixelkit and its test extra installed.  The PATH of
# the run holds every program of the current PATH but the C and C++ compilers (ffmpeg, netpbm,
# ImageMagick, the shell tools...), CC and CXX are /bin/false, and PIXELKIT_TEST_INSTALLED=1 makes the
# suite check that pixelkit comes from site-packages.  Only the tests marked needs_compiler may skip.
set -euo pipefail
source_tree=$(cd "${1:?usage: tools/test_installed.sh SOURCE_TREE [PYTHON]}" && pwd)
python=$(command -v "${2:-python}")
env_bin=$(dirname "$python")
work=$(mktemp -d "${TMPDIR:-/tmp}/pixelkit-installed.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Everything the tests read but the package, the build script and what builds leave behind.
tree="$work/tree"
mkdir -p "$tree"
for item in tests docs examples benchmarks tools c include .ci README.md CHANGELOG.md LICENSE pyproject.toml; do
    if [ -e "$source_tree/$item" ]; then
        cp -R "$source_tree/$item" "$tree/"
    fi
done
find "$tree" \( -name __pycache__ -o -name '*.egg-info' -o -name build -o -name .pytest_cache -o -name _build \) -prune \
    -exec rm -rf {} +

# A PATH without compilers: a folder of links to every other program.
nocc="$work/bin"
mkdir -p "$nocc"
compiler='^((.*-)?(gcc|g\+\+|cc|c\+\+|cpp|c89|c99|clang|clang\+\+|clang-cpp|tcc|icx|icpx)(-[0-9.]+)?|c89-gcc|c99-gcc)$'
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
    [ -d "$dir" ] || continue
    for program in "$dir"/*; do
        name=$(basename "$program")
        if [ ! -x "$program" ] || [ -d "$program" ] || [ -e "$nocc/$name" ]; then
            continue
        fi
        target=$(basename "$(readlink -f "$program")")
        if [[ $name =~ $compiler || $target =~ $compiler ]]; then
            continue
        fi
        ln -s "$program" "$nocc/$name"
    done
done
without_compiler() {
    env PATH="$env_bin:$nocc" CC=/bin/false CXX=/bin/false PIXELKIT_TEST_INSTALLED=1 "$@"
}
for tool in gcc cc c++ g++ clang clang++ cpp; do
    if found=$(without_compiler bash -c "command -v $tool"); then
        echo "a compiler is still on the PATH of the run: $found" >&2
        exit 1
    fi
done

echo "-- the whole test suite against the installed package ($(cd "$work" && "$python" -c 'import pixelkit; print(pixelkit.__file__)'))"
echo "   no C compiler on PATH, CC=CXX=/bin/false"
(
    cd "$tree"
    # PYTHONPATH: the tests' own helper modules (conftest, kernel_refs...); there is no package here.
    without_compiler PYTHONPATH="$tree/tests" "$python" -m pytest -q -p no:cacheprovider --import-mode=importlib \
        -ra tests
)

echo "-- the demo and the pixelkit command, no C compiler on PATH"
(
    cd "$work"
    without_compiler "$python" -m pixelkit.demo --out demo
    without_compiler "$python" -c "import pixelkit; print('installed', pixelkit.__version__, 'header in', pixelkit.get_include())"
    without_compiler "$env_bin/pixelkit" --version
    without_compiler "$env_bin/pixelkit" info demo/*.ppm
)
