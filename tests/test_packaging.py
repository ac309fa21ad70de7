"""What a user gets from pip: Z3 as an extra, the example specs, an sdist whose tests can run, a lock file."""
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
Z3_EXTRA = "pip install 'capmodel[z3]'"


def capmodel(*args, cwd=ROOT, env=None):
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture
def without_z3(tmp_path):
    """An environment whose Python cannot import z3, as after `pip install capmodel` without the extra."""
    site = tmp_path / "no_z3"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['z3'] = None  # `import z3` now fails\n")
    return {**os.environ, "PYTHONPATH": str(site)}


@pytest.mark.parametrize("args", [
    ["verify", "specs/async.cap", "--engine", "z3", "--no-render"],
    ["verify", "specs/async.cap", "--engine", "both", "--no-render"],
    ["infer", "specs/sync.cap", "--timeout", "5"],
])
def test_z3_commands_without_z3_say_which_extra_in_one_line(args, without_z3):
    p = capmodel(*args, env=without_z3)
    assert p.returncode == 2
    assert p.stdout == ""  # `both` failed before the explicit search reported anything
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("error: ")
    assert Z3_EXTRA in p.stderr


def test_z3_missing_under_json_is_an_error_object(without_z3):
    import json

    p = capmodel("verify", "specs/async.cap", "--engine", "z3", "--json", env=without_z3)
    assert p.returncode == 2
    document = json.loads(p.stdout)
    assert document["kind"] == "verify" and document["exit_code"] == 2
    (error,) = document["errors"]
    assert error["code"] == "z3_missing" and Z3_EXTRA in error["hint"]


def test_the_default_engine_needs_no_z3(without_z3):
    p = capmodel("verify", "specs/async.cap", "--no-render", env=without_z3)
    assert p.returncode == 1
    assert re.search(r"no_acked_write_lost\s+VIOLATED", p.stdout)


def test_z3_is_an_extra_not_a_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [Requirement(r).name for r in project["dependencies"]]
    assert "z3-solver" not in names
    assert [Requirement(r).name for r in project["optional-dependencies"]["z3"]] == ["z3-solver"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def shipped_cap_files() -> dict[str, str]:
    return {str(p.relative_to(ROOT / "specs")): p.read_text() for p in (ROOT / "specs").rglob("*.cap")}


def test_examples_copies_every_spec_and_they_run_there(tmp_path):
    p = capmodel("examples", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    copied = tmp_path / "capmodel-examples" / "specs"
    assert {str(f.relative_to(copied)): f.read_text() for f in copied.rglob("*.cap")} == shipped_cap_files()
    assert f"copied {len(shipped_cap_files())} example specs" in p.stdout
    # the README's first command, from inside the copy
    run = capmodel("verify", "specs/async.cap", "--no-render", cwd=tmp_path / "capmodel-examples")
    assert run.returncode == 1
    assert re.search(r"no_acked_write_lost\s+VIOLATED", run.stdout)


def test_examples_never_overwrites(tmp_path):
    dest = tmp_path / "mine"
    (dest / "specs").mkdir(parents=True)
    (dest / "specs" / "async.cap").write_text("my own edits\n")
    p = capmodel("examples", str(dest), cwd=tmp_path)
    assert p.returncode == 2
    assert "already exists" in p.stderr and p.stderr.count("\n") == 1
    assert (dest / "specs" / "async.cap").read_text() == "my own edits\n"
    assert [f.name for f in (dest / "specs").iterdir()] == ["async.cap"]


def test_cap_with_no_specs_here_points_at_examples(tmp_path):
    p = capmodel("cap", cwd=tmp_path)
    assert p.returncode == 2
    assert "capmodel examples" in p.stderr


def tracked_files(folder: str) -> set[str]:
    """The files of a folder of the checkout that belong in the sdist (not caches)."""
    return {str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def build(hook: str, source: Path, out: Path) -> tuple[Path, str]:
    """Run setuptools' PEP 517 hook in a fresh interpreter; the file it made and what it printed."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys, setuptools.build_meta as b; print(b.{hook}(sys.argv[1]))", str(out)],
        cwd=source, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out / proc.stdout.strip().splitlines()[-1], proc.stderr


@pytest.mark.slow
def test_sdist_carries_the_tests_and_builds_a_wheel_with_the_examples(tmp_path):
    sdist, printed = build("build_sdist", ROOT, tmp_path)
    assert not re.search(r"warning|deprecat", printed, re.IGNORECASE), printed
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {n.partition("/")[2] for n in tar.getnames()}
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()
        tar.extractall(tmp_path, filter="data")
    for folder in ("tests", "specs", "docs"):
        missing = tracked_files(folder) - names
        assert not missing, f"not in the sdist: {sorted(missing)}"
    assert {"tests/conftest.py", "tests/helpers.py", "LICENSE", "requirements.lock", "mkdocs.yml",
            "setup.py", "capmodel/syntax/grammar.lark"} <= names
    assert not any(n.startswith(("out/", ".venv/")) or "__pycache__" in n for n in names)
    assert "License-Expression: MIT" in pkg_info
    assert "z3-solver" in pkg_info and "Provides-Extra: z3" in pkg_info

    wheel, printed = build("build_wheel", tmp_path / top, tmp_path)  # from the sdist alone
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    shipped = {f"capmodel/specs/{name}" for name in shipped_cap_files()}
    assert shipped <= names
    assert "capmodel/schema/capmodel.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "specs/")) for n in names)


def test_the_lock_pins_every_dependency_within_its_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [r for extra in ("test", "z3")
                                        for r in project["optional-dependencies"][extra]]
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.MULTILINE))
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    for requirement in map(Requirement, wanted):
        assert requirement.name in pins, f"{requirement.name} is not in requirements.lock: run make lock"
        assert pins[requirement.name] in requirement.specifier, \
            f"requirements.lock pins {requirement.name}=={pins[requirement.name]}, outside {requirement}"
    assert "-c requirements.lock" in (ROOT / "Makefile").read_text()


def test_the_python_api_names_the_extra_too(without_z3):
    code = ("import capmodel\n"
            "try:\n"
            "    capmodel.verify('specs/async.cap', engine='z3')\n"
            "except ModuleNotFoundError as err:\n"
            "    print(err)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env=without_z3)
    assert p.returncode == 0, p.stderr
    assert Z3_EXTRA in p.stdout
