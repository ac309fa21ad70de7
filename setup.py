"""The one thing pyproject.toml cannot say: the wheel ships the example specs.

specs/ lives at the top of the repository (the tests, docs and README use it
there), so build_py copies it into the wheel as capmodel/specs/, where
`capmodel examples` finds it after a non-editable install (pip, pipx, uv). An
editable install reads specs/ from the checkout instead (capmodel/examples.py).
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SPECS = Path(__file__).resolve().parent / "specs"


class build_py_with_specs(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for spec in sorted(SPECS.rglob("*.cap")):
            target = Path(self.build_lib, "capmodel", "specs", spec.relative_to(SPECS))
            self.mkpath(str(target.parent))
            self.copy_file(str(spec), str(target))


setup(cmdclass={"build_py": build_py_with_specs})
