#!/usr/bin/env bash
# ThreadSanitizer over the thread-stress and fork tests.
#
#   tools/tsan.sh [extra pytest args...]
#
# 1. tests/c/fork_stress.c and the C core, compiled with -fsanitize=thread:
#    threads allocate, free and run pool kernels while the main thread forks.
# 2. tests/test_threads_stress.py and tests/test_fork.py against a TSan build
#    of the extension (tools/sanitize_build.py --thread, into build/tsan/; the
#    in-place build is left alone), Python running with gcc's libtsan
#    preloaded (CPython itself is not instrumented: only pixelkit's C code is
#    checked, synchronised through the GIL and pthread calls TSan sees).
#
# Exits non-zero on a test failure or on any TSan report (written under
# build/tsan/reports/, which must stay empty).  TSAN_OPTIONS: die_after_fork=0
# lets children of a threaded process run (TSan checks nothing in them,
# which is why the C program's children only have to finish, and is what
# test_fork.py checks anyway); report_signal_unsafe=0 because CPython's
# signal handlers are not pixelkit's.
#
# Not run by .ci/run: on 2 shared cores it takes about 6 minutes, over the
# budget (nearly all of it test_threads_stress.py under TSan).
#
# Last result (2026-12-01, gcc 12.2 libtsan, 2 shared cores, 365 s): the
# C program, 200 forks: 0 hung, 0 reports; pytest: 5 passed (3 thread
# stress, 2 fork), 0 reports.  Children of the fork tests must
# import the TSan build, not the checkout's (tests/conftest.py
# subprocess_env and a scratch cwd): an uninstrumented copy makes TSan see
# the intercepted memmove of the allocator cache but not its spin lock, and
# report a race that is not there (an earlier run did exactly that).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
OUT=$ROOT/build/tsan
REPORTS=$OUT/reports

"$PYTHON" tools/system_requirements.py build sanitize >/dev/null || exit 2
LIBTSAN=$(gcc -print-file-name=libtsan.so)
[[ -e $LIBTSAN ]] || { echo "gcc's ThreadSanitizer runtime (libtsan) is missing: apt-get install libgcc-12-dev" >&2; exit 2; }

mkdir -p "$OUT"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
export TSAN_OPTIONS="halt_on_error=0:die_after_fork=0:report_signal_unsafe=0:second_deadlock_stack=1:log_path=$REPORTS/tsan"
start=$SECONDS
rc=0

echo "== C: fork while threads allocate, free and run kernels (-fsanitize=thread)"
gcc -std=c11 -O1 -g -fno-omit-frame-pointer -ffp-contract=off -fsanitize=thread -pthread \
    -I include -I c tests/c/fork_stress.c c/*.c -lm -o "$OUT/fork_stress"
"$OUT/fork_stress" 200 || rc=1

echo "== building the TSan extension into build/tsan/"
"$PYTHON" tools/sanitize_build.py --thread --out "$OUT" >"$OUT.log" 2>&1 || { cat "$OUT.log" >&2; exit 2; }

echo "== pytest under TSan: thread stress and fork tests"
(
    export LD_PRELOAD=$LIBTSAN
    # build/tsan first (its pixelkit), then the checkout (build_ffi, which the
    # fork test imports); sitecustomize keeps LD_PRELOAD away from gcc.
    export PYTHONPATH="$OUT:$ROOT/tools/sanitize_site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONDONTWRITEBYTECODE=1
    exec "$PYTHON" -P -m pytest -p no:cacheprovider -q "$@" tests/test_threads_stress.py tests/test_fork.py
) || rc=1

echo "== TSan run: exit status $rc after $((SECONDS - start)) s"
if compgen -G "$REPORTS/*" >/dev/null; then
    echo "== ThreadSanitizer reports:" >&2
    for f in "$REPORTS"/*; do echo "--- $f" >&2; cat "$f" >&2; done
    rc=1
fi
exit "$rc"
