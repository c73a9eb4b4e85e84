"""tools/system_requirements.py: the one list of the Debian packages each CI step needs."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("system_requirements", ROOT / "tools" / "system_requirements.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["system_requirements"] = module
    spec.loader.exec_module(module)
    return module


def test_every_package_is_named_in_the_readme_install_line() -> None:
    requirements = load()
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"^apt-get install (.+)$", readme, re.MULTILINE)
    assert line is not None, "the README has no apt-get install line"
    assert line.group(1).split() == requirements.packages(list(requirements.STEPS))


def test_the_fuzzing_step_needs_clangs_runtime() -> None:
    # The package whose absence once broke CI on a fresh machine.
    assert "libclang-rt-dev" in load().packages(["fuzz"])


def test_ci_installs_the_listed_packages_and_checks_them() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "tools/system_requirements.py --packages" in script
    assert re.search(r"^python3 tools/system_requirements.py$", script, re.MULTILINE)
    assert re.search(r"^export CI=true$", script, re.MULTILINE)


def test_a_missing_tool_names_its_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = load()
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing is on it
    problems = requirements.missing(list(requirements.STEPS))
    for step, requirement_list in requirements.STEPS.items():
        for requirement in requirement_list:
            assert any(
                line.startswith(f"{step}: {requirement.what} is missing")
                and f"apt-get install {requirement.package}" in line
                for line in problems
            ), requirement.what


def test_a_stand_in_program_is_not_taken_for_the_real_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = load()
    fake = tmp_path / "convert"
    fake.write_text("#!/bin/sh\necho 'convert: ImageMagick is not installed here'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    problems = requirements.missing(["tests"])
    assert any("ImageMagick's convert is missing" in line and "imagemagick" in line for line in problems)
