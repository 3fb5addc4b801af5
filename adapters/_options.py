"""Store options: each adapter declares them as a model, and each value is checked where it enters.

Options reach an adapter as strings, from the URL's query, keyword arguments of
:func:`adapters.connect`, ``[store.options]`` in ``caseport.toml`` or ``CASEPORT_OPTION_*``
variables. An adapter declares the options it reads as an :class:`AdapterOptions` model (typed
fields with bounds, defaults and a one-line meaning); :func:`validate_options` turns the merged
strings into that model or raises :class:`~contracts.errors.ConfigurationError` in one line,
naming the option and what it accepts, or for an unknown option the close names. No message
repeats the value given: it may be a secret pasted into the wrong place or personal data, and a
hostile one may be megabytes long. Option *names* are repeated only when they look like names
(:func:`option_label`), so a typo can be pointed out.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Final,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from contracts.errors import ConfigurationError

if TYPE_CHECKING:
    from adapters._url import StoreURL

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "AdapterOptions",
    "Flag",
    "Number",
    "OptionDoc",
    "OptionReader",
    "Whole",
    "Word",
    "Words",
    "accepts",
    "describe_options",
    "option",
    "check_option_name",
    "is_option_name",
    "is_secret_name",
    "option_label",
    "parse_boolean",
    "parse_number",
    "parse_whole",
    "refuse_unknown",
    "secret_hint",
    "suggestion",
    "validate_options",
]

TRUE_WORDS: Final = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS: Final = frozenset({"0", "false", "no", "off"})

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", re.ASCII)
_WHOLE: Final = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_NUMBER: Final = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?", re.ASCII
)
_SECRET_NAMES: Final = frozenset(
    {
        "access_key",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "bearer",
        "client_secret",
        "credential",
        "credentials",
        "pass",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "pwd",
        "secret",
        "secret_key",
        "sslpassword",
        "token",
    }
)
# Any name ending so holds a secret too (``db_password``, ``refresh_token``); none of the
# adapters' own options (``page_token_ttl``, ``passfile``) ends in one of these.
_SECRET_ENDINGS: Final = ("password", "passwd", "secret", "token", "api_key", "apikey")


def is_option_name(name: str) -> bool:
    """Whether ``name`` looks like an option name (``[A-Za-z_][A-Za-z0-9_.-]{0,63}``)."""
    return _NAME.fullmatch(name) is not None


def is_secret_name(name: str) -> bool:
    """Whether an option called ``name`` would carry a secret (password, token, key...)."""
    normal = name.strip().lower().replace("-", "_")
    return normal in _SECRET_NAMES or normal.endswith(_SECRET_ENDINGS)


def option_label(name: str) -> str:
    """``name`` quoted for a message, or a description when it does not look like a name."""
    if is_option_name(name):
        return repr(name)
    return f"(a name of {len(name)} characters that is not a valid option name)"


def suggestion(name: str, known: Collection[str]) -> str:
    """``"; did you mean 'x'?"`` for the known name closest to ``name``, or ``""``."""
    if not is_option_name(name):
        return ""
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def refuse_unknown(scheme: str, options: Mapping[str, str], known: Collection[str]) -> None:
    """Fail on the first option (alphabetically) that ``scheme`` does not know.

    Raises:
        ConfigurationError: naming the option, the closest known one and every known one.
    """
    unknown = sorted(set(options) - set(known))
    if unknown:
        name = unknown[0]
        raise ConfigurationError(
            f"unknown {scheme}:// option {option_label(name)}{suggestion(name, known)} "
            f"(known: {', '.join(sorted(known))})"
        )


def secret_hint(scheme: str | None) -> str:
    """Where the secrets of a store served by ``scheme`` belong instead of a URL or option."""
    if scheme == "postgresql":
        return (
            "give only the user name (postgresql://USER@HOST/DB) and put the password in the "
            "PGPASSWORD environment variable or a .pgpass file, which libpq reads"
        )
    if scheme is not None and scheme.startswith("foundry"):
        return (
            "set CASEPORT_FOUNDRY_TOKEN, or CASEPORT_FOUNDRY_CLIENT_ID and "
            "CASEPORT_FOUNDRY_CLIENT_SECRET, in the environment"
        )
    return "keep secrets in the environment or a file the adapter reads"


def check_option_name(name: str, scheme: str | None, where: str) -> None:
    """Refuse an option whose name holds a secret or is not a name.

    Args:
        name: the option's name.
        scheme: the store's scheme, to say where its secrets belong.
        where: where the option was given, for the message (``"in the URL"``...).

    Raises:
        ConfigurationError: a secret-bearing name (``password``, ``sslpassword``, ``token``...)
            or one that is not a name; the value is never looked at.
    """
    if is_secret_name(name):
        raise ConfigurationError(
            f"secrets such as {option_label(name)} ({where}) must not travel in a URL or in "
            f"store options, which end up in logs: {secret_hint(scheme)}"
        )
    if not is_option_name(name):
        raise ConfigurationError(
            f"an option {where} has a name of {len(name)} characters that is not a valid "
            "option name (letters, digits, _ . -)"
        )


def parse_whole(text: str, minimum: int, maximum: int) -> int:
    """``text`` as a whole number from ``minimum`` to ``maximum``.

    Only ASCII digits with an optional sign are read: no ``1_000``, no ``1e3``, no spaces.

    Raises:
        ValueError: another form, or out of bounds (the message never repeats ``text``).
    """
    if _WHOLE.fullmatch(text) is None:
        raise ValueError("not a whole number")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError("out of bounds")
    return value


def parse_number(text: str, minimum: float, maximum: float) -> float:
    """``text`` as a finite decimal number from ``minimum`` to ``maximum``.

    Raises:
        ValueError: another form (``nan``, ``inf``, hex...), or out of bounds.
    """
    if _NUMBER.fullmatch(text) is None:
        raise ValueError("not a number")
    value = float(text)
    if not (math.isfinite(value) and minimum <= value <= maximum):
        raise ValueError("out of bounds")
    return value


def parse_boolean(text: str) -> bool:
    """``text`` as a boolean: ``true``/``false``, ``1``/``0``, ``yes``/``no`` or ``on``/``off``.

    Raises:
        ValueError: any other word.
    """
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a boolean")


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


class OptionReader:
    """Reads the options of one store, each through a typed, bounded parser.

    Args:
        scheme: the URL scheme, for messages (``sqlite``, ``postgresql``...).
        options: the options as strings.
    """

    def __init__(self, scheme: str, options: Mapping[str, str]) -> None:
        self.scheme = scheme
        self.options = options

    def _refuse(self, name: str, accepts: str) -> ConfigurationError:
        return ConfigurationError(f"{self.scheme}:// option {name} must be {accepts}")

    def whole(self, name: str, default: int, minimum: int, maximum: int, unit: str = "") -> int:
        """Option ``name`` as a whole number within bounds, ``default`` when absent.

        Raises:
            ConfigurationError: not a whole number within bounds.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_whole(raw, minimum, maximum)
        except ValueError:
            raise self._refuse(name, f"a whole number from {minimum} to {maximum}{unit}") from None

    def number(
        self, name: str, default: float, minimum: float, maximum: float, unit: str = ""
    ) -> float:
        """Option ``name`` as a finite number within bounds, ``default`` when absent.

        Raises:
            ConfigurationError: not a finite number within bounds.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_number(raw, minimum, maximum)
        except ValueError:
            raise self._refuse(
                name, f"a number from {_show(minimum)} to {_show(maximum)}{unit}"
            ) from None

    def flag(self, name: str, default: bool) -> bool:
        """Option ``name`` as a boolean, ``default`` when absent.

        Raises:
            ConfigurationError: not one of the boolean words.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_boolean(raw)
        except ValueError:
            raise self._refuse(name, "true or false (or 1/0, yes/no, on/off)") from None

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        """Option ``name`` as one of ``choices`` (compared without case), ``default`` when absent.

        Raises:
            ConfigurationError: not one of ``choices``.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        by_lower = {choice.lower(): choice for choice in choices}
        found = by_lower.get(raw.strip().lower())
        if found is None:
            raise self._refuse(name, f"one of {', '.join(choices)}")
        return found

    def names(self, name: str, allowed: Collection[str]) -> frozenset[str]:
        """Option ``name`` as a comma-separated set of words, each one of ``allowed``.

        Raises:
            ConfigurationError: a word that is not allowed.
        """
        words = frozenset(
            part.strip() for part in self.options.get(name, "").split(",") if part.strip()
        )
        if not words <= set(allowed):
            raise self._refuse(name, f"a comma-separated list of {', '.join(sorted(allowed))}")
        return words


# ------------------------------------------------------------------------- option models


def _whole_text(value: object) -> object:
    if isinstance(value, str):
        if _WHOLE.fullmatch(value) is None:
            raise ValueError("not a whole number")
        return int(value)
    return value


def _number_text(value: object) -> object:
    if isinstance(value, str):
        if _NUMBER.fullmatch(value) is None:
            raise ValueError("not a number")
        return float(value)
    return value


def _flag_text(value: object) -> object:
    return parse_boolean(value) if isinstance(value, str) else value


def _word_text(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _words_text(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Whole = Annotated[int, BeforeValidator(_whole_text)]
"""A whole number; as text, ASCII digits with an optional sign (no ``1_000``, ``1e3``)."""
Number = Annotated[float, BeforeValidator(_number_text)]
"""A finite decimal number; as text, no ``nan``, ``inf`` or hex."""
Flag = Annotated[bool, BeforeValidator(_flag_text)]
"""A boolean; as text, ``true``/``false``, ``1``/``0``, ``yes``/``no`` or ``on``/``off``."""
Word = BeforeValidator(_word_text)
"""Put on a ``Literal`` of words: text is compared without case or surrounding blanks."""
Words = BeforeValidator(_words_text)
"""Put on a tuple or frozenset: text is a comma-separated list."""


def option(
    default: Any,
    meaning: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    unit: str = "",
    form: str = "",
    alias: str | None = None,
) -> Any:
    """A field of an :class:`AdapterOptions` model.

    Args:
        default: the value when the option is not given.
        meaning: one line saying what the option does, for ``caseport info SCHEME``.
        ge: lowest value accepted.
        gt: the value must be above this.
        le: highest value accepted.
        unit: what a number counts (``milliseconds``, ``seconds``), for messages.
        form: what the option accepts, where its type does not say it (a pattern...).
        alias: the option's name when it is not the field's (a name pydantic reserves).
    """
    extra: dict[str, Any] = {}
    if unit:
        extra["unit"] = unit
    if form:
        extra["form"] = form
    return Field(
        default,
        description=meaning,
        ge=ge,
        gt=gt,
        le=le,
        alias=alias,
        json_schema_extra=extra or None,
    )


class AdapterOptions(BaseModel):
    """The options one adapter reads: subclass it with one :func:`option` field per option.

    The registry validates the merged options of a store (URL query, configuration file,
    environment, keywords) against it once, with :func:`validate_options`, and the adapter's
    factory receives the model. ``PASSTHROUGH`` names a ``dict[str, str]`` field that takes
    every option the model does not declare, for an adapter that forwards them (libpq's
    parameters); by default an unknown option is refused.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )

    PASSTHROUGH: ClassVar[str | None] = None

    @classmethod
    def check_url(cls, url: StoreURL) -> None:
        """Refuse a URL this adapter cannot use, before its options are looked at.

        The registry calls it first, because a URL of the wrong shape (a host where a file is
        expected) says more than an option it would not know. By default, any URL is fine.

        Raises:
            ConfigurationError: the URL does not fit the adapter.
        """


OptionsT = TypeVar("OptionsT", bound=AdapterOptions)


def _names(model: type[AdapterOptions]) -> dict[str, str]:
    """The model's option names (aliases where set) and the fields they fill."""
    return {
        info.alias or name: name
        for name, info in model.model_fields.items()
        if name != model.PASSTHROUGH
    }


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``X | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _bounds(info: FieldInfo) -> tuple[float | None, float | None, float | None]:
    low = above = high = None
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            above = item.gt
        elif isinstance(item, annotated_types.Le):
            high = item.le
    return low, above, high  # type: ignore[return-value]


def _extra(info: FieldInfo, key: str) -> str:
    extra = info.json_schema_extra
    value = extra.get(key, "") if isinstance(extra, dict) else ""
    return str(value)


def accepts(info: FieldInfo) -> str:
    """What a field accepts, in words: ``a whole number from 0 to 3600000 milliseconds``."""
    form = _extra(info, "form")
    if form:
        return form
    annotation = _unwrap(info.annotation)
    unit = _extra(info, "unit")
    unit = f" {unit}" if unit else ""
    if annotation is bool:
        return "true or false (or 1/0, yes/no, on/off)"
    if annotation in (int, float):
        what = "a whole number" if annotation is int else "a number"
        low, above, high = _bounds(info)
        if low is not None and high is not None:
            return f"{what} from {_show(low)} to {_show(high)}{unit}"
        if above is not None and high is not None:
            return f"{what} above {_show(above)} and at most {_show(high)}{unit}"
        if low is not None:
            return f"{what} of at least {_show(low)}{unit}"
        return what + unit
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(map(str, get_args(annotation)))
    if get_origin(annotation) in (tuple, frozenset):
        (item, *_) = get_args(annotation)
        if get_origin(item) is Literal:
            return "a comma-separated list of " + ", ".join(map(str, get_args(item)))
        return "a comma-separated list of names"
    return "text"


_KINDS: Final = {bool: "boolean", int: "whole number", float: "number", str: "text"}


@dataclass(frozen=True, slots=True)
class OptionDoc:
    """One option of a scheme, as ``caseport info SCHEME`` lists it."""

    name: str
    kind: str
    default: str
    accepts: str
    meaning: str


def _default_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _show(value)
    if isinstance(value, tuple | frozenset):
        return ",".join(sorted(map(str, value))) if value else "(none)"
    return str(value)


def describe_options(model: type[AdapterOptions]) -> list[OptionDoc]:
    """The options of ``model`` by name; the passthrough, if any, last as ``(any other)``."""
    docs = []
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        if name == model.PASSTHROUGH:
            continue
        if get_origin(annotation) is Literal:
            kind = "choice"
        elif get_origin(annotation) in (tuple, frozenset):
            kind = "list"
        else:
            kind = _KINDS.get(annotation, "text")
        docs.append(
            OptionDoc(
                name=info.alias or name,
                kind=kind,
                default=_default_text(info.get_default(call_default_factory=True)),
                accepts=accepts(info),
                meaning=info.description or "",
            )
        )
    docs.sort(key=lambda doc: doc.name)
    if model.PASSTHROUGH is not None:
        info = model.model_fields[model.PASSTHROUGH]
        docs.append(OptionDoc("(any other)", "text", "-", accepts(info), info.description or ""))
    return docs


def _refusal(scheme: str, model: type[AdapterOptions], error: ValidationError) -> str:
    """One line for the first problem pydantic found, never quoting the value."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = first["loc"]
    names = _names(model)
    if location and str(location[0]) in names:
        name = str(location[0])
        return f"{scheme}:// option {name} must be {accepts(model.model_fields[names[name]])}"
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ValueError) and str(cause):
        # A check across options: the model's own words, which name options, not values.
        return f"{scheme}:// {cause}"
    return f"{scheme}:// options are not valid ({first['type']})"


def validate_options(scheme: str, model: type[OptionsT], options: Mapping[str, str]) -> OptionsT:
    """``options`` checked and converted into ``model``, the one place this happens.

    Raises:
        ConfigurationError: in one line, naming the option and what it accepts, or for an
            unknown option the closest known name and every known one; never the value.
    """
    names = _names(model)
    known: dict[str, Any] = {}
    rest: dict[str, str] = {}
    for name, value in options.items():
        if name in names:
            known[name] = value
        else:
            rest[name] = value
    if model.PASSTHROUGH is not None:
        known[model.PASSTHROUGH] = rest
    elif rest:
        refuse_unknown(scheme, rest, names)
    problem = ""
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        problem = _refusal(scheme, model, exc)
    # Raised outside the except block, so that pydantic's error, which holds the value, does
    # not stay attached as __context__.
    raise ConfigurationError(problem)
