"""The curated public surface: ``__all__`` of ``contracts``, ``contracts.models`` and ``adapters``.

Each package ``__all__`` must be sorted (plain ``sorted()``), free of duplicates, name only
things that exist, and be complete: every name a public submodule lists in its own ``__all__``
is re-exported by its package, or appears below with the reason it is not. Every public
submodule is either a source of the package surface or excluded with a reason, so a new
module cannot slip in without that decision being made.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("contracts", "contracts.models", "adapters")

SOURCES: dict[str, tuple[str, ...]] = {
    "contracts": (
        "contracts.aggregation",
        "contracts.backend",
        "contracts.capabilities",
        "contracts.errors",
        "contracts.ids",
        "contracts.models",
        "contracts.query",
        "contracts.requests",
        "contracts.results",
        "contracts.store",
    ),
    "contracts.models": (
        "contracts.models.cases",
        "contracts.models.common",
        "contracts.models.entities",
        "contracts.models.exhibits",
        "contracts.models.intelligence",
        "contracts.models.links",
        "contracts.models.records",
    ),
    "adapters": ("adapters.config", "adapters.faults", "adapters.memory"),
}
"""Public submodules whose ``__all__`` the package must re-export."""

EXCLUDED_MODULES: dict[str, str] = {
    "contracts.admission": "checks CaseStore runs on what callers pass; callers see the errors",
    "contracts.conformance": "the conformance kit, loaded as a pytest plugin, not imported",
    "contracts.emulation": "graph operations the layer composes for adapters; used by CaseStore",
    "contracts.evaluation": "reference semantics of the search language, for adapter authors",
    "contracts.invariants": "update rules CaseStore enforces; callers meet them as errors",
    "contracts.compiled": "the reference semantics compiled per query, for stores filtering in it",
    "contracts.planning": "the layer's search executor; adapters import split_conjuncts from it",
    "contracts.scan_emulation": "operations the layer composes over scan; used by CaseStore",
    "contracts.paging": "cursor encoding internal to CaseStore; cursors are opaque to callers",
    "contracts.spec": "SPEC.md requirements as data, for the conformance kit and its report",
    "contracts.validation": "pydantic-to-ValidationFailed translation used inside the models",
    "adapters.foundry": "optional backend with extra dependencies, imported only by its scheme",
    "adapters.sql": "backend package imported lazily by the registry when its scheme is used",
}
"""Public submodules that are deliberately not part of their package's surface."""

NOT_REEXPORTED: dict[tuple[str, str], str] = {
    ("contracts", "EMULATABLE"): "adapter authors read it beside Capability; CaseStore enforces it",
    ("contracts", "GRAPH_WALKS"): "adapter authors read it beside Capability; for declarations",
    ("contracts", "PARTIABLE"): "adapter authors read it beside Capability; the port enforces it",
    ("contracts", "check_declaration"): "the port's own check of a declaration; for the facade",
    ("contracts", "SEARCH_CAPABILITIES"): "the capabilities the port's search hook serves",
    ("contracts", "declaration_problem"): "the rule behind declare(), for the port's class check",
    ("contracts", "ALL_FIELDS"): "field catalogue for adapters translating queries",
    ("contracts", "RECORD_FIELDS"): "field catalogue for adapters translating queries",
    ("contracts", "RECORD_TEXT_FIELDS"): "text-search fields for adapters translating queries",
    ("contracts", "WITH_PROPERTIES"): "which record types hold properties; for adapters",
    ("contracts", "fields_problem"): "the check CaseStore runs on a query for a record type",
    ("contracts", "GroupValue"): "a type alias of Group's key values; for annotations only",
    ("contracts", "aggregate_problem"): "the check CaseStore runs on an aggregate query",
    ("contracts", "ordered_aggregation"): "the one group ordering, for backends that group",
    ("contracts", "aggregate_records"): "the reference aggregate, for adapter authors and tests",
    ("contracts", "FIELDS"): "field catalogue for adapters translating queries",
    ("contracts", "TEXT_FIELDS"): "text-search fields for adapters translating queries",
    ("contracts", "MAX_FILTER_DEPTH"): "a limit SearchQuery enforces itself",
    ("contracts", "MAX_FILTER_LEAVES"): "a limit SearchQuery enforces itself",
    ("contracts", "MAX_PAGE_SIZE"): "a limit SearchQuery enforces itself",
    ("contracts", "FieldSpec"): "describes FIELDS entries; only adapters need it",
    ("contracts", "field_spec"): "field lookup for adapters translating queries",
    ("contracts", "tokenize"): "the term rule adapters must reproduce; callers pass plain text",
    ("contracts", "MAX_DEPTH"): "a limit the store methods enforce themselves",
    ("contracts", "RECORD_CAPABILITY"): "for adapters and the kit gating optional record types",
    ("contracts", "RECORD_CLASSES"): "record_class() is the supported lookup; the dict stays put",
    ("contracts.models", "LINK_TYPE_PATTERN"): "the form Link.type enforces; for adapters",
    ("contracts", "PathIdentity"): "a type alias of shortest_paths' distinct option",
    ("contracts.models", "StrictModel"): "base class of the models, not for subclassing elsewhere",
    ("adapters", "KNOWN_VARIABLES"): "the CASEPORT_* names configuration reads; kept in its module",
    ("adapters", "OPERATIONS"): "too generic a name at package level; adapters.memory.OPERATIONS",
    ("adapters", "Outcome"): "too generic a name at package level; kept as adapters.faults.Outcome",
    ("adapters", "from_url"): "factory behind memory://, reached through connect()",
}
"""Names listed in a source module's ``__all__`` that its package does not re-export."""


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _public_submodules(package: str) -> list[str]:
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(_module(package).__path__)
        if not info.name.startswith("_")
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_is_sorted(package: str) -> None:
    """``__all__`` is in plain ``sorted()`` order (upper case before lower case)."""
    names = list(_module(package).__all__)
    assert names == sorted(names)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_has_no_duplicates(package: str) -> None:
    """No name is listed twice."""
    names = list(_module(package).__all__)
    assert sorted({name for name in names if names.count(name) > 1}) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_names_only_existing_objects(package: str) -> None:
    """Every listed name resolves on the package."""
    module = _module(package)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_lists_no_private_names(package: str) -> None:
    """Nothing starting with an underscore is exported."""
    assert [name for name in _module(package).__all__ if name.startswith("_")] == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_submodule_is_a_source_or_excluded_with_a_reason(package: str) -> None:
    """A new public module must be added to the surface or excluded on purpose."""
    undecided = [
        name
        for name in _public_submodules(package)
        if name not in SOURCES[package] and name not in EXCLUDED_MODULES
    ]
    assert undecided == []


@pytest.mark.parametrize(
    ("package", "source"),
    [(package, source) for package, sources in SOURCES.items() for source in sources],
)
def test_package_reexports_what_its_public_submodules_export(package: str, source: str) -> None:
    """Every name in a source module's ``__all__`` is re-exported, or listed with a reason."""
    exported = set(_module(package).__all__)
    missing = [
        name
        for name in _module(source).__all__
        if name not in exported and (package, name) not in NOT_REEXPORTED
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("package", "source"),
    [(package, source) for package, sources in SOURCES.items() for source in sources],
)
def test_reexported_names_are_the_submodules_own_objects(package: str, source: str) -> None:
    """A re-exported name is the very object of the source module, not a shadow."""
    parent, child = _module(package), _module(source)
    shared = set(parent.__all__) & set(child.__all__)
    assert [name for name in shared if getattr(parent, name) is not getattr(child, name)] == []


@pytest.mark.parametrize("source", sorted({s for sources in SOURCES.values() for s in sources}))
def test_source_module_all_names_existing_objects_once(source: str) -> None:
    """Each source module's own ``__all__`` is duplicate-free and resolves."""
    module = _module(source)
    names = list(module.__all__)
    assert len(names) == len(set(names))
    assert [name for name in names if not hasattr(module, name)] == []


@pytest.mark.parametrize(("package", "name"), sorted(NOT_REEXPORTED))
def test_every_allow_listed_name_is_still_needed(package: str, name: str) -> None:
    """An allow-list entry names something a source exports and the package does not."""
    assert name not in _module(package).__all__
    assert any(name in _module(source).__all__ for source in SOURCES[package])
    assert NOT_REEXPORTED[(package, name)]


@pytest.mark.parametrize("module", sorted(EXCLUDED_MODULES))
def test_every_excluded_module_still_exists(module: str) -> None:
    """An exclusion names a real public submodule, with a reason."""
    package = module.rsplit(".", 1)[0]
    assert module in _public_submodules(package)
    assert EXCLUDED_MODULES[module]
