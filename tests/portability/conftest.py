"""Fixtures for the bundle tests: one fresh store of every backend in turn."""

from backends import store, store_url

__all__ = ["store", "store_url"]
