"""Only a build hook: compile the gettext catalogs (.po → .mo) so a built wheel carries them (docs/i18n.md)."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from tools.catalogs import run

        run(check=False)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
