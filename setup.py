"""Thin shim for tools that still call ``setup.py``.

The metadata lives in ``pyproject.toml`` (built with flit, as ``bench new-app`` does); setuptools reads
the ``[project]`` table from there, and this file only supplies the version, which is dynamic.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

_init = (Path(__file__).parent / "prm_app" / "__init__.py").read_text()
_version = re.search(r'^__version__ = "([^"]+)"', _init, re.M).group(1)

setup(version=_version, packages=find_packages(include=["prm_app", "prm_app.*"]), include_package_data=True)
