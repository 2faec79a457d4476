"""Modeling tests (a package so that test modules can share helpers by relative import)."""
