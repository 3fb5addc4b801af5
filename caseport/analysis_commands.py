"""Shell commands that summarise records rather than list them: count, aggregate, degree.

Like the other query commands they build their request first (bad input fails before any
connection is made), read the store at the URL given first or the configured one, change
nothing, and print a table, or one JSON document with ``--json``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

import typer
from rich.table import Table
from rich.text import Text

from caseport._query_options import METRIC_OPS, build_aggregate_query, build_filter
from caseport._targets import url_and_ids
from caseport.query_commands import (
    AsJson,
    DirectionChoice,
    DirectionOption,
    FilterJson,
    Kind,
    LinkTypes,
    RecordTypeOption,
    Subtype,
    TextOption,
    Url,
    Where,
    entity_labels,
    open_for_reading,
    plural,
)
from caseport.record_tables import aggregation_summary, aggregation_table
from caseport.render import emit_json, id_column, plain, stdout_console
from contracts.models.common import RecordType
from contracts.models.records import record_class
from contracts.store import MAX_DEGREE_IDS

__all__ = ["GroupOrder", "aggregate", "count", "degree"]

_MAX_GROUPS: Final = 10_000
"""The most groups one aggregate returns, as the contract bounds it."""


def count(
    url: Url = None,
    record_type: RecordTypeOption = RecordType.ENTITY,
    text: TextOption = None,
    kind: Kind = None,
    subtype: Subtype = None,
    where: Where = None,
    filter_json: FilterJson = None,
    as_json: AsJson = False,
) -> None:
    """Count the records that match; all conditions must hold (none: count them all).

    The conditions are those of caseport search, on the fields of --type.

    For example:

        caseport count 'memory://?load=case.jsonl' --kind person
        caseport count --type case --where status=open
        caseport count --type link --where type=PARTY_TO --where role=suspect
        caseport count --subtype crime --where event.category=Drugs --json
    """
    condition = build_filter(
        record_type=record_type,
        text=text,
        kind=kind,
        subtype=subtype,
        where=where or (),
        filter_json=filter_json,
    )
    with open_for_reading(url) as store:
        counted = store.count(condition, record_type=record_class(record_type))
    if as_json:
        emit_json({"record_type": record_type.value, "count": counted})
        return
    stdout_console().print(plain(plural(counted, record_type)))


class GroupOrder(StrEnum):
    """How groups are ordered: largest first, or by their key."""

    COUNT = "count"
    KEY = "key"


def aggregate(
    url: Url = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            metavar="FIELD",
            help="Group by this field of --type (repeatable, up to 3; none: one group).",
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="OP:FIELD",
            help=f"Also compute {', '.join(METRIC_OPS)} of a field per group (repeatable).",
        ),
    ] = None,
    record_type: RecordTypeOption = RecordType.ENTITY,
    text: TextOption = None,
    kind: Kind = None,
    subtype: Subtype = None,
    where: Where = None,
    filter_json: FilterJson = None,
    order: Annotated[
        GroupOrder,
        typer.Option(
            "--order",
            case_sensitive=False,
            help="count: largest groups first; key: by group key, missing values last.",
        ),
    ] = GroupOrder.COUNT,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            max=_MAX_GROUPS,
            help=f"Most groups shown (1-{_MAX_GROUPS:,}); the last line says if more exist.",
        ),
    ] = 20,
    as_json: AsJson = False,
) -> None:
    r"""Group the records that match by fields, with each group's count and metrics.

    A record with several values of a grouping field (aliases, say) falls in a group for
    each, and one with none in the group shown as (none). sum and avg take numbers; min and
    max also take text and datetimes; properties.NAME takes numbers only.

    For example:

        caseport aggregate 'memory://?load=case.jsonl' --by event.category
        caseport aggregate --type case --by status --by officer_in_case
        caseport aggregate --by kind --by subtype --order key --limit 100
        caseport aggregate --subtype crime --by event.category \
            --metric max:event.occurred_from --metric sum:properties.value
        caseport aggregate --type link --by type --metric avg:confidence --json
    """
    condition = build_filter(
        record_type=record_type,
        text=text,
        kind=kind,
        subtype=subtype,
        where=where or (),
        filter_json=filter_json,
    )
    query = build_aggregate_query(
        record_type=record_type,
        by=by or (),
        metrics=metric or (),
        filter=condition,
        order=order.value,
        limit=limit,
    )
    with open_for_reading(url) as store:
        result = store.aggregate(query, record_type=record_class(record_type))
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    nouns = plural(2, record_type).partition(" ")[2]
    title = f"{nouns.capitalize()} by {', '.join(query.group_by)}" if query.group_by else None
    names = [item.name for item in query.metrics]
    console = stdout_console()
    console.print(aggregation_table(result, query.group_by, names, title=title))
    console.print(plain(aggregation_summary(result)), soft_wrap=True)


def degree(
    ctx: typer.Context,
    url: Url = None,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ID...",
            help=f"The entities, in the order shown (up to {MAX_DEGREE_IDS:,}).",
            show_default=False,
        ),
    ] = None,
    link_type: LinkTypes = None,
    direction: DirectionOption = DirectionChoice.BOTH,
    as_json: AsJson = False,
) -> None:
    """Show how many links each entity has, counted as expand would follow them.

    --link-type and --direction count only some links: out counts links leaving the entity,
    in those entering it; an undirected link counts either way.

    For example:

        caseport degree 'memory://?load=case.jsonl' PERSON-ID
        caseport degree PERSON-A PERSON-B --link-type KNOWS --direction out
        caseport search --kind person --json | jq -r '.items[].id' | xargs caseport degree
    """
    url, wanted = url_and_ids(ctx, (url, *(ids or ())), ("ID",), variadic=True)
    with open_for_reading(url) as store:
        degrees = store.degree(wanted, link_types=link_type, direction=direction.value)
        entities = entity_labels(store, degrees)
    if as_json:
        emit_json(degrees)
        return
    table = Table(title=Text(plural(len(degrees), RecordType.ENTITY)), title_justify="left")
    table.add_column("Label", style="bold")
    table.add_column("Kind")
    table.add_column("Degree", justify="right")
    id_column(table)
    for entity_id, links in degrees.items():
        entity = entities[entity_id]
        table.add_row(plain(entity.label), plain(entity.kind.value), f"{links:,}", plain(entity_id))
    stdout_console().print(table)
