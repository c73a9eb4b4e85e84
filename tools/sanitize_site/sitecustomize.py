"""Imported at start-up by every Python of a tools/sanitize.sh run (it is on PYTHONPATH).

The sanitizer runtime is LD_PRELOADed so that Python processes can load the
ASan-built pixelkit.  Other programs the tests start (gcc, ffmpeg,
ImageMagick, netpbm) must not run under it: their own leaks would be
reported and fail the run, and cc1 even crashes.  So a subprocess keeps
LD_PRELOAD only when it is a Python interpreter.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

_original = subprocess.Popen._execute_child  # type: ignore[attr-defined]


def _is_python(program: Any) -> bool:
    name = os.path.basename(os.fsdecode(program))
    return name.startswith("python")


def _execute_child(
    self: Any,
    args: Any,
    executable: Any,
    preexec_fn: Any,
    close_fds: Any,
    pass_fds: Any,
    cwd: Any,
    env: Any,
    *rest: Any,
    **kwargs: Any,
) -> Any:
    program = executable
    if program is None:
        program = args if isinstance(args, (str, bytes, os.PathLike)) else next(iter(args))
    shell = rest[2] if len(rest) > 2 else kwargs.get("shell", False)
    if shell or not _is_python(program):
        env = dict(os.environ if env is None else env)
        env.pop("LD_PRELOAD", None)
    return _original(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, *rest, **kwargs)


subprocess.Popen._execute_child = _execute_child  # type: ignore[attr-defined]
