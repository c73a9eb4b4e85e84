"""What pixelkit ships: the sdist holds the checkout's files and nothing generated, the wheel every package
folder, and the version is one.

The sdist test builds the sdist from the checkout (``python -m build --sdist --no-isolation``, with the
setuptools of the test extra) and compares its members with the files git tracks (or would track: new
files not ignored).  It is skipped only in the run against the installed package, which has no checkout
(tools/check_installed_wheel.sh builds and checks the sdist itself there).  The wheel's tag, its
extension's libraries and the manylinux check are in that script too.
"""

from __future__ import annotations

import ast
import email.parser
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import pixelkit
from conftest import CHECKOUT, HAS_CHECKOUT, INSTALLED, subprocess_env

# Files git tracks that the sdist leaves out, and why.
SDIST_EXCLUDED = {
    ".gitignore": "git's own configuration, not a source",
}
# Files of the sdist that git does not track: written by setuptools.
SDIST_METADATA = {"PKG-INFO"}
# What a build or a test run makes; none of it may be in the sdist.
GENERATED = re.compile(
    r"(\.(so|pyd|dylib|dll|o|obj|a|lib|pyc|pyo)$|(^|/)__pycache__/|(^|/)[^/]*\.egg-info(/|$)|^build/"
    r"|^pixelkit/_pixelkit\.c$|(^|/)\.(pytest_cache|mypy_cache|ruff_cache|hypothesis)/|^\.ci-install/|^\.venv/)"
)

needs_checkout = pytest.mark.skipif(
    INSTALLED or not HAS_CHECKOUT,
    reason="builds the sdist from the checkout; the run against the installed package has none",
)


def _git_files() -> set[str]:
    if shutil.which("git") is None or not (CHECKOUT / ".git").exists():
        pytest.skip("needs the git checkout (git ls-files) to compare the sdist with")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=CHECKOUT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return {name for name in listed.split("\0") if name and (CHECKOUT / name).is_file()}


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), str(CHECKOUT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (archive,) = out.glob("pixelkit-*.tar.gz")
    return archive


def _members(archive: Path) -> tuple[str, list[str]]:
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    top = {name.split("/", 1)[0] for name in names}
    assert len(top) == 1, top
    (root,) = top
    return root, [name.split("/", 1)[1] for name in names]


@needs_checkout
def test_the_sdist_holds_the_checkouts_files_and_nothing_generated(sdist: Path) -> None:
    root, members = _members(sdist)
    assert root == f"pixelkit-{pixelkit.__version__}"
    generated = [name for name in members if GENERATED.search(name)]
    assert generated == [], f"generated files in the sdist: {generated}"
    expected = (_git_files() - set(SDIST_EXCLUDED)) | SDIST_METADATA
    assert sorted(set(members) - expected) == [], "in the sdist but not tracked by git"
    assert sorted(expected - set(members)) == [], "tracked by git but not in the sdist (MANIFEST.in)"
    assert len(members) == len(set(members))
    # What a build from the sdist and the tests need, named once more.
    for required in (
        "include/pixelkit.h",
        "build_ffi.py",
        "setup.py",
        "pixelkit/build/objects.py",
        "c/rows/table.h",
        "tests/c/fork_stress.c",
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
    ):
        assert required in members, required
    for folder in ("tests/data/", "tests/fuzz_corpus/", "c/rows/"):
        assert any(name.startswith(folder) for name in members), folder


@needs_checkout
def test_the_wheel_takes_every_folder_of_the_package() -> None:
    """setuptools puts in the wheel the packages that pyproject.toml lists ([tool.setuptools] packages):
    a folder of pixelkit/ with Python modules that is not listed would be left out."""
    text = (CHECKOUT / "pyproject.toml").read_text()
    match = re.search(r"^packages = (\[[^\]]*\])$", text, re.MULTILINE)
    assert match is not None, "pyproject.toml has no [tool.setuptools] packages list"
    listed = set(ast.literal_eval(match[1]))
    modules = [Path(name) for name in _git_files() if name.startswith("pixelkit/") and name.endswith(".py")]
    folders = {".".join(module.parent.parts) for module in modules}
    assert folders == listed
    for folder in folders:
        assert (CHECKOUT / folder.replace(".", "/") / "__init__.py").is_file(), folder


@needs_checkout
def test_the_sdist_metadata(sdist: Path) -> None:
    root, _ = _members(sdist)
    with tarfile.open(sdist) as tar:
        handle = tar.extractfile(f"{root}/PKG-INFO")
        assert handle is not None
        metadata = email.parser.BytesParser().parse(handle)
    assert metadata["Name"] == "pixelkit"
    assert metadata["Version"] == pixelkit.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.10"
    urls = {entry.split(",", 1)[0] for entry in metadata.get_all("Project-URL") or []}
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= urls
    classifiers = set(metadata.get_all("Classifier") or [])
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert "Programming Language :: Python :: Implementation :: CPython" in classifiers


def test_the_version_is_one(tmp_path: Path) -> None:
    """pixelkit.__version__, the installed metadata (the wheel's name has it) and `pixelkit --version` agree."""
    version = pixelkit.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert importlib.metadata.version("pixelkit") == version, "the installed metadata is stale: reinstall"
    commands = [[sys.executable, "-m", "pixelkit", "--version"]]
    command = Path(sys.executable).with_name("pixelkit")
    # The console script itself in the installed run (under tools/sanitize.sh it would start without the
    # preloaded sanitizer runtime; tools/test_installed.sh runs it as well).
    if INSTALLED and command.exists():
        commands.append([str(command), "--version"])
    for args in commands:
        result = subprocess.run(args, capture_output=True, text=True, check=True, env=subprocess_env(), cwd=tmp_path)
        assert result.stdout.strip() == f"pixelkit {version}", args


@needs_checkout
def test_the_build_reads_the_version_without_importing_pixelkit() -> None:
    """pyproject.toml's dynamic version comes from pixelkit/_version.py as text: a build needs no extension."""
    program = (
        "import sys\n"
        "from setuptools.config.expand import read_attr\n"
        f"version = read_attr('pixelkit._version.__version__', root_dir={str(CHECKOUT)!r})\n"
        "assert not any(m == 'pixelkit' or m.startswith('pixelkit.') for m in sys.modules), sorted(sys.modules)\n"
        "print(version)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=CHECKOUT)
    assert result.stdout.strip() == pixelkit.__version__
    assert pixelkit.__version__ in (CHECKOUT / "CHANGELOG.md").read_text().split("\n## ", 2)[1].splitlines()[0]


def test_the_extension_links_only_libc_libm_and_libpthread() -> None:
    """What a manylinux wheel may need: a thread-local in the dynamic TLS model would add ld-linux."""
    import pixelkit._pixelkit as extension

    if sys.platform != "linux":
        pytest.skip("the ELF dynamic section: Linux only")
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("needs readelf (binutils)")
    dynamic = subprocess.run([readelf, "-d", extension.__file__], capture_output=True, text=True, check=True).stdout
    # tools/sanitize.sh's build also links the sanitizer runtimes; no wheel carries them.
    runtimes = ("libasan", "libubsan")
    needed = sorted(n for n in re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic) if not n.startswith(runtimes))
    assert needed and set(needed) <= {"libc.so.6", "libm.so.6", "libpthread.so.0"}, needed
