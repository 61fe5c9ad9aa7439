"""Packaging beyond what pyproject.toml can say: the shipped recipes.

``recipes/`` stays top-level in the repository (one plain file per task, found by path, never
imported as a package); a wheel carries the same files as ``edgekit/recipes/*.py`` so that
``edgekit.config.recipe_dirs()`` finds them after a normal ``pip install .`` too.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["edgekit", "edgekit.*"]), "edgekit.recipes"],
    package_dir={"edgekit.recipes": "recipes"},
)
