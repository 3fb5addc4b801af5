"""``caseport demo``: a short investigation told through the contract, on two backends.

The story: load a synthetic investigation into the configured store, find a suspect by name,
look at their network, find how two suspects are connected, read a case's timeline, then ask a
second, separately configured store the same questions and show that the answers match. It
ends with the conformance summary of the first store. Every call goes through
:class:`~contracts.store.CaseStore`, so the same story runs on any backend.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from adapters import DEFAULT_URL, connect, load_settings, redact_url
from caseport import _investigation as inv
from caseport.generate import SOURCE_SYSTEM, GenerationStats, generate
from caseport.render import (
    entity_table,
    hop_distances,
    hops_table,
    path_tree,
    plain,
    progress_bar,
    timeline_table,
    when,
)
from caseport.tuning import collection_paused
from contracts.capabilities import Capability
from contracts.models.cases import Case
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.store import CaseStore

__all__ = ["DEFAULT_SECOND_URL", "DemoOptions", "fresh_store_url", "run_demo"]

DEFAULT_SECOND_URL: Final = "memory://?latency_ms=1&seed=7"
"""The second backend: a separate in-memory store with 1 ms of injected latency per call."""

_SHOWN_ROWS: Final = 12


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What the demo runs on.

    Attributes:
        entities: how many entities to generate.
        seed: seed of the generator, so a run can be repeated exactly.
        url: the first store; ``None`` reads the configuration.
        second_url: the store that must give the same answers.
        conformance: whether to run the conformance kit against the first store.
    """

    entities: int = 2_000
    seed: int = 0
    url: str | None = None
    second_url: str = DEFAULT_SECOND_URL
    conformance: bool = True


@dataclass(frozen=True, slots=True)
class _Cast:
    """Who and what the story is about, found in the data."""

    suspect: inv.Suspect
    search_text: str
    suspects: int
    connection: inv.Connection | None
    case_id: str | None

    def questions(self) -> inv.Questions:
        ends = None
        if self.connection is not None:
            ends = (self.connection.source.person.id, self.connection.target.person.id)
        return inv.Questions(
            text=self.search_text,
            person_id=self.suspect.person.id,
            path_ends=ends,
            case_id=self.case_id,
        )


def _heading(console: Console, number: int, title: str, why: str) -> None:
    console.print()
    console.rule(Text(f"{number} · {title}", style="bold"), align="left")
    console.print(Text(why, style="italic"))


def _describe_store(store: CaseStore, url: str, source: str) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    info = store.info
    # Everything here may come from a URL or a third-party adapter: never read as markup.
    table.add_row("URL", plain(redact_url(url)))
    table.add_row("chosen by", plain(source))
    table.add_row("adapter", plain(f"{info.name} {info.version} ({info.kind})"))
    table.add_row("backend", plain(info.backend))
    return table


def _generate(console: Console, options: DemoOptions) -> list[Record]:
    records: list[Record] = []
    with progress_bar(console) as progress:
        task = progress.add_task("generating entities", total=options.entities)

        def advance(stats: GenerationStats) -> None:
            progress.update(task, completed=stats.entities)

        records.extend(generate(options.entities, seed=options.seed, progress=advance))
    return records


def _load(
    console: Console, store: CaseStore, records: Iterable[Record], total: int, label: str
) -> None:
    # The demo's process is caseport's own, so it may pause the collector for the bulk load.
    with progress_bar(console) as progress, collection_paused():
        task = progress.add_task(label, total=total)
        store.upsert_many(
            records, on_batch=lambda done: progress.update(task, completed=done.total)
        )


def _counts_table(records: Sequence[Record]) -> Table:
    by_type = Counter(record.RECORD_TYPE for record in records)
    by_kind = Counter(record.kind for record in records if isinstance(record, Entity))
    table = Table(title="What was loaded", title_justify="left")
    table.add_column("Record type")
    table.add_column("Count", justify="right")
    for record_type in RecordType:
        table.add_row(record_type.value.replace("_", " "), f"{by_type[record_type]:,}")
        if record_type is RecordType.ENTITY:
            for kind in EntityKind:
                table.add_row(Text(f"  {kind.value.lower()}", style="dim"), f"{by_kind[kind]:,}")
    return table


def _step_search(console: Console, store: CaseStore, cast: _Cast) -> None:
    person = cast.suspect.person
    text = cast.search_text
    _heading(
        console,
        3,
        "Find a person by name",
        f'A witness names "{text}". Search people for those words: text search matches whole '
        "words in names, aliases and identifiers, ignoring case, and nothing typed is ever read "
        "as query syntax.",
    )
    page = store.search(inv.people_named(text))
    # The suspect leads, so the star is on screen however many namesakes there are.
    ordered = sorted(page.items, key=lambda entity: entity.id != person.id)
    title = f"people matching {text!r}" + (
        f", {_SHOWN_ROWS} of {len(ordered)} shown" if len(ordered) > _SHOWN_ROWS else ""
    )
    console.print(entity_table(ordered[:_SHOWN_ROWS], title=title, marked=person.id, ids=False))
    events = cast.suspect.events
    references = [e.event.reference if e.event and e.event.reference else e.label for e in events]
    listed = ", ".join(references[:4])
    if len(references) > 4:
        listed += f" and {len(references) - 4} more"
    console.print(
        plain(
            f"★ {person.label} is a suspect (a PARTY_TO link with the role suspect) in "
            f"{len(events)} crime{'s' if len(events) != 1 else ''} ({listed}). "
            f"{cast.suspects} people in the data are suspects in at least one crime."
        )
    )


def _step_network(console: Console, store: CaseStore, cast: _Cast) -> None:
    person = cast.suspect.person
    _heading(
        console,
        4,
        f"Who and what is around {person.label}",
        "One hop: every link of the person and the entity at its other end. Then the depth-2 "
        "neighbourhood, counted by kind, as an analyst would before drawing a chart.",
    )
    hops = store.expand(person.id)
    title = f"{len(hops)} direct links" + (
        f", the first {_SHOWN_ROWS} shown" if len(hops) > _SHOWN_ROWS else ""
    )
    console.print(hops_table(hops[:_SHOWN_ROWS], title=title, ids=False))
    network = store.neighbourhood(person.id, depth=inv.NEIGHBOURHOOD_DEPTH)
    distances = hop_distances(person.id, network)
    counts = Counter((entity.kind, distances.get(entity.id, 0)) for entity in network.entities)
    table = Table(title=f"Neighbourhood to depth {inv.NEIGHBOURHOOD_DEPTH}", title_justify="left")
    table.add_column("Kind")
    # The centre is counted (at 0 hops), as in the sentence below and in step 7: the
    # neighbourhood as the store returns it.
    for hops_away in range(inv.NEIGHBOURHOOD_DEPTH + 1):
        table.add_column(f"{hops_away} hop{'' if hops_away == 1 else 's'}", justify="right")
    table.add_column("Total", justify="right")
    for kind in EntityKind:
        row = [counts[(kind, hops_away)] for hops_away in range(inv.NEIGHBOURHOOD_DEPTH + 1)]
        if any(row):
            table.add_row(kind.value, *(str(count) for count in row), str(sum(row)))
    console.print(table)
    console.print(
        plain(
            f"Within {inv.NEIGHBOURHOOD_DEPTH} hops of {person.label}: "
            f"{_network_size(len(network.entities), len(network.links), person.label)}."
        )
    )


def _network_size(entities: int, links: int, centre: str) -> str:
    return (
        f"{entities} entit{'y' if entities == 1 else 'ies'} including {centre}, "
        f"{links} link{'' if links == 1 else 's'}"
    )


def _step_paths(console: Console, store: CaseStore, cast: _Cast) -> None:
    _heading(
        console,
        5,
        "How are two suspects connected?",
        f"Shortest paths through people only (associates, family, households), at most "
        f"{inv.PATH_MAX_DEPTH} links, trying pairs among the {cast.suspects} suspects until the "
        "data connects one.",
    )
    connection = cast.connection
    if connection is None:
        console.print("No two suspects are connected through people within reach in this data.")
        return
    ids = {entity for path in connection.paths for entity in path.entity_ids}
    entities = {e.id: e for e in store.get_many(Entity, sorted(ids))}
    link_ids = sorted({link for path in connection.paths for link in path.link_ids})
    links = {link.id: link for link in store.get_many(Link, link_ids)}
    first = connection.paths[0]
    count = len(connection.paths)
    title = (
        f"{connection.source.person.label} → {connection.target.person.label}: "
        f"{count} shortest path{'s' if count != 1 else ''} of {first.length} "
        f"link{'s' if first.length != 1 else ''}"
    )
    console.print(path_tree(title, connection.paths, entities, links))


def _step_timeline(console: Console, store: CaseStore, cast: _Cast) -> None:
    _heading(
        console,
        6,
        "A case timeline",
        "Every event linked to the members of a case, in time order: the crimes, and the other "
        "events its people, places and vehicles take part in.",
    )
    if cast.case_id is None:
        console.print("This data set holds no cases.")
        return
    case = store.get(Case, cast.case_id)
    person = cast.suspect.person
    member = any(m.entity_id == person.id for m in case.members)
    console.print(
        Text.assemble(
            (f"{case.reference}", "bold"),
            f"  {case.title} · {case.status.value} · officer in case: "
            f"{case.officer_in_case or 'unassigned'} · opened {when(case.opened_at)} · "
            f"{len(case.members)} members" + (f", {person.label} among them" if member else ""),
        )
    )
    entries = store.timeline(case_id=case.id)
    related = sorted({i for entry in entries for i in entry.related_ids})
    labels = {entity.id: entity.label for entity in store.get_many(Entity, related)}
    console.print(
        timeline_table(entries, labels, title=f"{len(entries)} events", limit=_SHOWN_ROWS)
    )


def _summary(name: str, answer: Any) -> str:
    if answer is None:
        return "not asked"
    if name == "search":
        return f"{len(answer)} {'person' if len(answer) == 1 else 'people'}"
    if name == "network":
        return _network_size(len(answer["entities"]), len(answer["links"]), "the suspect")
    if name == "paths":
        if not answer:
            return "no path"
        count, length = len(answer), len(answer[0]["link_ids"])
        return f"{count} path{'s' if count != 1 else ''} of {length} links"
    return f"{len(answer)} events"


_QUESTIONS: Final = {
    "search": "text search for the suspect's name",
    "network": f"depth-{inv.NEIGHBOURHOOD_DEPTH} neighbourhood of the suspect",
    "paths": "shortest paths between two suspects",
    "timeline": "timeline of the case",
}


def _timed_answers(store: CaseStore, questions: inv.Questions) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = inv.answers(store, questions)
    return result, time.perf_counter() - started


def _step_compare(
    console: Console, first: CaseStore, records: int, cast: _Cast, second_url: str
) -> bool:
    _heading(
        console,
        7,
        "Same questions, another backend",
        "A second store, chosen by its URL alone, gets a copy of everything through the "
        "contract (export → upsert_many, ids and versions kept) and must answer exactly alike.",
    )
    with connect(second_url) as second:
        console.print(_describe_store(second, second_url, "--second-url"))
        _load(console, second, first.export(), records, "copying records")
        questions = cast.questions()
        mine, first_time = _timed_answers(first, questions)
        theirs, second_time = _timed_answers(second, questions)
        second_name = f"{second.info.name} {second.info.version}"
    table = Table(title="Do the backends agree?", title_justify="left")
    table.add_column("Question")
    table.add_column(plain(f"First: {first.info.name} {first.info.version}"))
    table.add_column(plain(f"Second: {second_name}"))
    table.add_column("Same", justify="center")
    agreed = True
    for key, question in _QUESTIONS.items():
        same = mine[key] == theirs[key]
        agreed = agreed and same
        table.add_row(
            question,
            _summary(key, mine[key]),
            _summary(key, theirs[key]),
            Text("✓", style="bold green") if same else Text("✗", style="bold red"),
        )
    table.caption = (
        f"answered in {first_time:.2f} s by the first store, {second_time:.2f} s by the second"
    )
    table.caption_justify = "left"
    console.print(table)
    if agreed:
        console.print(Text("Every answer matches, id for id.", style="green"))
    else:
        console.print(Text("The backends disagree; see the ✗ rows.", style="bold red"))
    return agreed


def fresh_store_url(url: str) -> str:
    """A URL from which the conformance kit builds a new, empty store like the one at ``url``.

    The kit needs an empty store for every test: ``memory://`` gives one on every connect
    (without a ``load`` file), and an SQLite file is moved into the kit's fresh ``{tmp}``
    directory. Other URLs are used as given; mark them with ``{tmp}`` or ``{uid}`` to get
    fresh stores.
    """
    if "{tmp}" in url or "{uid}" in url:
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parts.query
    if scheme == "memory":
        query = urlencode([(key, value) for key, value in parse_qsl(query) if key != "load"])
        path = parts.path
    elif scheme == "sqlite":
        path = "/{tmp}/conformance.db"
    else:
        return url
    # Written out by hand: urlunsplit drops the empty authority of memory:// and sqlite:///.
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")


def _step_conformance(console: Console, url: str) -> bool:
    # The kit runs pytest; load it only when the demo gets this far.
    from caseport.conformance_view import print_report
    from contracts.conformance.runner import run_conformance

    _heading(
        console,
        8,
        "Conformance of the first backend",
        "The conformance kit runs the tests of the contract's numbered requirements "
        "(contracts/SPEC.md) against the backend; the same kit runs against any vendor.",
    )
    kit_url = fresh_store_url(url)
    where = redact_url(kit_url)
    if "{tmp}" in kit_url:
        where += ", {tmp} being a new temporary directory for each test"
    console.print(plain(f"Each test gets a new, empty store from {where}."))
    with console.status("running the conformance kit…"):
        report = run_conformance(kit_url)
    print_report(console, report)
    return report.conformant


@contextmanager
def _first_store(console: Console, url: str | None) -> Iterator[tuple[CaseStore, str]]:
    if url is None:
        settings = load_settings()
        url, source = settings.url, f"configuration ({settings.source})"
        store = connect()
    else:
        source = "--url"
        store = connect(url)
    with store:
        console.print(_describe_store(store, url, source))
        if store.info.kind != "reference":
            console.print(
                Text(
                    "This store keeps what it is given: the synthetic records (provenance "
                    f"{SOURCE_SYSTEM}) stay in it after the demo; running the demo again "
                    "with the same seed changes nothing.",
                    style="yellow",
                )
            )
        yield store, url


def _cast(store: CaseStore) -> _Cast | None:
    suspects = inv.find_suspects(store)
    if not suspects:
        return None
    connection = inv.find_connection(store, suspects)
    case = inv.case_for(store, suspects[0].person.id) if store.supports(Capability.CASES) else None
    text = inv.search_text(store, suspects[0].person)
    return _Cast(suspects[0], text, len(suspects), connection, case.id if case else None)


def run_demo(options: DemoOptions, console: Console) -> bool:
    """Tell the demo story on ``console``.

    Returns:
        Whether both backends gave the same answers and, when run, conformance passed.

    Raises:
        CaseportError: a store cannot be opened or fails.
    """
    started = time.perf_counter()
    console.print(
        Panel(
            Group(
                Text("caseport demo: one investigation, any backend", style="bold"),
                Text(
                    "Applications talk to one contract; the backend behind it is chosen by a "
                    "URL or configuration, never by code. This walk-through loads synthetic "
                    "data (no real person is described) and investigates it."
                ),
            ),
            expand=False,
        )
    )
    _heading(
        console,
        1,
        "Connect to a store",
        "adapters.connect() picks the adapter from the URL scheme; with no --url it reads "
        f"caseport.toml or CASEPORT_URL, and falls back to {DEFAULT_URL}.",
    )
    ok = True
    with _first_store(console, options.url) as (first, first_url):
        _heading(
            console,
            2,
            "Load a synthetic investigation",
            f"{options.entities:,} entities from seed {options.seed}: people, vehicles, phones, "
            "addresses, crimes with suspects and victims, cases, intelligence reports, exhibits.",
        )
        records = _generate(console, options)
        _load(console, first, iter(records), len(records), "loading records")
        console.print(_counts_table(records))
        cast = _cast(first)
        if cast is None:
            console.print("The data holds no suspects; try more --entities.")
            return False
        _step_search(console, first, cast)
        _step_network(console, first, cast)
        _step_paths(console, first, cast)
        _step_timeline(console, first, cast)
        ok = _step_compare(console, first, len(records), cast, options.second_url)
    if options.conformance:
        ok = _step_conformance(console, first_url) and ok
    console.print()
    elapsed = time.perf_counter() - started
    console.rule(Text(f"Finished in {elapsed:.1f} s", style="bold"), align="left")
    console.print(
        "Next: caseport generate --entities 2000 --output case.jsonl, then "
        "caseport search 'memory://?load=case.jsonl' --kind PERSON --limit 5"
    )
    return ok
