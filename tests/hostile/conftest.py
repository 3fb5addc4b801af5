"""Fixtures for the hostile-input tests: one fresh store of every backend in turn."""

from backends import store, store_url

__all__ = ["store", "store_url"]
