"""The browser tests: a package, so that their package-scoped platform (``conftest.py``) stops after
the last of them. In a directory without this file the nearest package is ``tests`` itself, and the
platform's consumers and schedulers ran on beside every later test (their groups, their rows)."""
