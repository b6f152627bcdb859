"""Load scenario files: find them, inherit (``extends``), override, validate, explain errors.

A scenario file is TOML data, never executed. Loading goes:

1. find the file (a path, or the name of a shipped scenario in ``scenarios/``);
2. read it and, recursively, the files it ``extends`` (a name or list of names), deep-merging tables
   (a child's value replaces its parent's; lists such as ``events`` are replaced whole);
3. apply dotted overrides (``firms.pharmacy.culture.trust=0.8``) from the CLI or Python;
4. validate against :mod:`loyaltysim.schema`, strictly: a string is not a number, ``true`` is not
   1.0, ``"off"`` is not false (a whole number is still a number). Strict here, at loading, not in
   the schema's shared base class, whose other users (sweep and validation experiment files) read
   TOML arrays into tuples.

Every failure raises :class:`ScenarioError`, one paragraph naming the file, the key path, the bad
value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import functools
import itertools
import os
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from loyaltysim.limits import ScenarioLimits, check_shape
from loyaltysim.scenario_access import TRUSTED, UNTRUSTED, Access, resolve_untrusted
from loyaltysim.scenario_errors import MESSAGE_CHARS, ScenarioError
from loyaltysim.scenario_errors import shown as _short
from loyaltysim.schema import Scenario
from loyaltysim.shipped import find_toml, scenarios_dir, shipped_scenarios
from loyaltysim.startup_keys import reason_fixed_at_start

__all__ = [
    "TRUSTED",
    "UNTRUSTED",
    "Access",
    "Scenario",
    "ScenarioError",
    "apply_override",
    "describe_allowed",
    "load_scenario",
    "parse_override",
    "scenario_from_toml",
    "scenario_to_toml",
    "scenarios_dir",
    "schema_at",
    "shipped_scenarios",
]


def _limits() -> ScenarioLimits:
    """The loading limits now (environment variables may raise them)."""
    try:
        return ScenarioLimits.from_env()
    except ValueError as exc:
        raise ScenarioError(f"{exc}; see docs/security.md.") from None


def _resolve(
    source: str | os.PathLike[str],
    relative_to: Path | None = None,
    referrer: str | None = None,
    access: Access = TRUSTED,
    limits: ScenarioLimits | None = None,
) -> Path:
    """Turn a scenario name or path into an existing file path."""
    limits = limits or _limits()
    text = os.fspath(source)
    where = f"{referrer}: extends = {_short(text)}" if referrer else f"scenario {_short(text)}"
    key_path = "extends" if referrer else None
    if len(text) > limits.extends_chars:
        raise ScenarioError(
            f"{where}: a name or path of {len(text):,} characters is too long "
            f"(at most {limits.extends_chars}).",
            file=referrer,
            key_path=key_path,
        )
    if not access.trusted:
        return resolve_untrusted(text, relative_to, where, referrer, access)
    found = find_toml(text, scenarios_dir(), [relative_to] if relative_to is not None else [])
    if found.path is not None:
        return found.path
    raise ScenarioError(
        f"{where}: no such scenario file or shipped scenario"
        + found.did_you_mean()
        + f". Shipped scenarios: {', '.join(found.names)}; or give a path to a .toml file.",
        file=referrer,
        key_path=key_path,
    )


def _read_toml(path: Path, label: str, limits: ScenarioLimits, referrer: str | None = None) -> dict[str, Any]:
    """Read and parse one file, refusing it as soon as it is longer than the limit."""
    by = f" (extended by {referrer})" if referrer else ""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limits.file_bytes + 1)
    except OSError as exc:
        raise ScenarioError(f"{label}: cannot read the file{by} ({exc.strerror}).", file=label) from None
    if len(raw) > limits.file_bytes:
        raise ScenarioError(
            f"{label}: the file{by} is larger than {limits.file_bytes:,} bytes, "
            "the limit for a scenario file (LOYALTYSIM_MAX_SCENARIO_BYTES).",
            file=label,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            f"{label}: not a UTF-8 text file{by}; scenario files are TOML text.", file=label
        ) from None
    return _parse_toml(text, label, limits, by)


def _parse_toml(text: str, label: str, limits: ScenarioLimits | None = None, by: str = "") -> dict[str, Any]:
    limits = limits or _limits()
    if len(text) > limits.file_bytes:
        raise ScenarioError(
            f"{label}: {len(text):,} characters is larger than "
            f"{limits.file_bytes:,} bytes, the limit for a scenario file.",
            file=label,
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            f"{label}: not valid TOML{by}: {exc}. Check quotes, brackets and "
            "'key = value' syntax at that line.",
            file=label,
        ) from None
    except RecursionError:
        raise ScenarioError(
            f"{label}: arrays or tables{by} are nested too deeply (scenario files "
            f"nest at most {limits.depth} levels).",
            file=label,
        ) from None
    except ValueError:  # Python's own limit on integer length (4,300 digits)
        raise ScenarioError(
            f"{label}: a number{by} has too many digits to be a scenario value.", file=label
        ) from None
    check_shape(data, label, limits)
    return data


def _deep_merge(
    base: dict[str, Any],
    child: Mapping[str, Any],
    origin: dict[tuple, str],
    label: str | None,
    prefix: tuple = (),
) -> None:
    """Merge ``child`` into ``base`` in place, recording which file set each key (``label``
    None: ``child`` is a parent's merged data, whose keys the parent's own loading recorded)."""
    for key, value in child.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value, origin, label, path)
        else:
            if label is not None and isinstance(base.get(key), dict | list):
                _forget(origin, path)  # a replaced table or list: its parent's keys are gone
            base[key] = copy.deepcopy(value)
            if label is not None:
                _mark(origin, path, value, label)


def _forget(origin: dict[tuple, str], path: tuple) -> None:
    """Drop what ``origin`` recorded at and below ``path``."""
    for below in [loc for loc in origin if loc[: len(path)] == path]:
        del origin[below]


def _mark(origin: dict[tuple, str], path: tuple, value: Any, label: str) -> None:
    stack = [(path, value)]
    while stack:
        where, node = stack.pop()
        origin[where] = label
        if isinstance(node, Mapping):
            stack.extend(((*where, key), sub) for key, sub in node.items())
        elif isinstance(node, list):
            stack.extend(((*where, i), sub) for i, sub in enumerate(node))


def _extends_of(data: dict[str, Any], label: str, limits: ScenarioLimits) -> list[str]:
    parents = data.pop("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(
            f"{label}: extends = {_short(parents)} is not allowed: give a "
            "scenario name or path, or a list of them.",
            file=label,
            key_path="extends",
        )
    if len(parents) > limits.extends:
        raise ScenarioError(
            f"{label}: extends names {len(parents):,} scenarios; at most {limits.extends} are allowed.",
            file=label,
            key_path="extends",
        )
    return parents


def _merge_parents(
    data: dict[str, Any],
    label: str,
    here: Path | None,
    origin: dict[tuple, str],
    chain: tuple[Path, ...],
    access: Access,
    limits: ScenarioLimits,
) -> dict:
    """``data`` (read from ``label``) merged over everything it extends, parents first."""
    parents = _extends_of(data, label, limits)
    merged: dict[str, Any] = {}
    for parent in parents:
        parent_path = _resolve(parent, relative_to=here, referrer=label, access=access, limits=limits)
        _deep_merge(merged, _load_raw(parent_path, origin, chain, access, limits, label), origin, None)
    _deep_merge(merged, data, origin, label)
    return merged


def _load_raw(
    path: Path,
    origin: dict[tuple, str],
    chain: tuple[Path, ...] = (),
    access: Access = TRUSTED,
    limits: ScenarioLimits | None = None,
    referrer: str | None = None,
) -> dict:
    """Read ``path`` and everything it extends, merged, parents first."""
    limits = limits or _limits()
    label = access.label(path)
    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(str(p.name) for p in (*chain, resolved))
        raise ScenarioError(
            f"{label}: extends forms a cycle ({loop}); a scenario cannot inherit from itself.",
            file=label,
            key_path="extends",
        )
    if len(chain) >= limits.extends:
        raise ScenarioError(
            f"{label}: extends goes more than {limits.extends} files deep "
            f"(through {chain[-1].name}); flatten the chain.",
            file=label,
            key_path="extends",
        )
    data = _read_toml(path, label, limits, referrer)
    return _merge_parents(data, label, path.parent, origin, (*chain, resolved), access, limits)


def dotted_items(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys of a TOML table and their values (quoted dotted keys and nested tables alike)."""
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from dotted_items(value, f"{key}.")
        else:
            yield key, value


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and read VALUE as a TOML value (number, true/false, "string").

    Bare words that are not TOML values are taken as strings, so ``--set name=demo`` works.
    """
    if "=" not in text:
        raise ScenarioError(
            f"--set {text!r}: expected KEY=VALUE, e.g. firms.pharmacy.culture.trust=0.8.", key_path=text
        )
    key, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (ValueError, RecursionError):  # not a TOML value (or absurdly long): the text
        value = raw
    annotation, _ = schema_at(key.split("."))
    if annotation is str and not isinstance(value, str):
        value = raw  # text keys take the text as written: --set name=2024 is the name "2024"
    return key, value


def _schema_children(model: type[BaseModel] | None) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def schema_at(parts: Iterable[Any]) -> tuple[Any, Any]:
    """Follow a dotted key path (as parts) through the scenario schema; return (annotation,
    FieldInfo) at its end - what the key holds and its declared range, unit and meaning. Used by
    the sweep and validation loaders to check keys against the schema."""
    parts = tuple(parts)
    try:
        return _schema_at(parts)
    except TypeError:  # an unhashable part: look it up without the cache
        return _schema_at.__wrapped__(parts)


@functools.lru_cache(maxsize=4096)  # every event key is looked up part by part
def _schema_at(parts: tuple[Any, ...]) -> tuple[Any, Any]:
    annotation: Any = Scenario
    info = None
    for part in parts:
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return None, None
            annotation = info.annotation
        elif origin in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            return None, None
    return annotation, info


def apply_override(data: dict[str, Any], key: str, value: Any, label: str | None = None) -> tuple[Any, ...]:
    """Set the dotted ``key`` in raw scenario ``data`` to ``value`` (before validation); return
    where it went, as a path into ``data``.

    Keys must name existing schema fields and, for firms, an existing firm: an override never
    creates a firm by accident (``firms.pharmcy.open`` is an error with a suggestion). A list
    entry is named by its position (``events.0.week``); in an event's ``set`` the rest of the key
    is the dotted key it sets (``events.0.set.firms.supermarket.open``).
    """
    label = label or f"override {key}"
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        annotation, _ = schema_at(parts[: depth + 1])
        parent_annotation, _ = schema_at(parts[:depth])
        if depth == len(parts) - 1 and _is_table(annotation):
            example = _schema_children(annotation)[:1] or ["<name>"]
            raise ScenarioError(
                f"{label}: {_short(key)} is a table; an override sets one value at a time "
                f"(e.g. {key}.{example[0]}=...), it does not replace a whole table.",
                file=label,
                key_path=key,
            )
        if annotation is not None and not isinstance(node, dict | list):
            where = ".".join(parts[:depth])
            raise ScenarioError(
                f"{label}: cannot set {_short(key)}: {where} is {_short(node)}, not a table.",
                file=label,
                key_path=key,
            )
        if typing.get_origin(parent_annotation) is list:  # an entry by position: events.0.week
            where = ".".join(parts[:depth])
            if not isinstance(node, list):
                raise ScenarioError(
                    f"{label}: cannot set {_short(key)}: {where} is {_short(node)}, not a list.",
                    file=label,
                    key_path=key,
                )
            if not (part.isdigit() and int(part) < len(node)):
                entries = "1 entry (0)" if len(node) == 1 else f"{len(node)} entries (0 to {len(node) - 1})"
                raise ScenarioError(
                    f"{label}: {where} has {entries}, so {'.'.join(parts[: depth + 1])!r} names "
                    "none; an override can change an entry's keys, not add one.",
                    file=label,
                    key_path=key,
                )
            if depth == len(parts) - 1:
                node[int(part)] = value
                return _data_path(parts)
            node = node[int(part)]
            continue
        if parent_annotation is not None and _free_table(parent_annotation):
            rest = ".".join(parts[depth:])  # an event's set: the rest is one dotted key
            node[rest] = value
            return (*_data_path(parts[:depth]), rest)
        is_dict_key = typing.get_origin(parent_annotation) is dict
        if annotation is None or (is_dict_key and part not in node):
            options = list(node) if is_dict_key else _schema_children(parent_annotation)
            hint = difflib.get_close_matches(part, options, n=1)
            where = ".".join(parts[:depth]) or "the top level"
            raise ScenarioError(
                f"{label}: unknown key {'.'.join(parts[: depth + 1])!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f". Allowed at {where}: {', '.join(options) or 'nothing'}.",
                file=label,
                key_path=key,
            )
        if depth == len(parts) - 1:
            node[part] = value
            return _data_path(parts)
        if typing.get_origin(annotation) is list:
            if not isinstance(node.get(part), list):
                raise ScenarioError(
                    f"{label}: {'.'.join(parts[: depth + 1])} has no entries; an override can "
                    "change an entry's keys, not add one (add it in the scenario file).",
                    file=label,
                    key_path=key,
                )
            node = node[part]
        else:
            if part not in node:
                node[part] = {}
            node = node[part]


def _is_table(annotation: Any) -> bool:
    """A schema table (a section such as ``market``, or named entries such as ``firms``)."""
    return (isinstance(annotation, type) and issubclass(annotation, BaseModel)) or typing.get_origin(
        annotation
    ) is dict


def _data_path(parts: list[str]) -> tuple[Any, ...]:
    """A key's parts as a path into scenario data and pydantic locations: list positions as ints."""
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _free_table(annotation: Any) -> bool:
    """A table of free keys and plain values (an event's ``set``), not of schema tables."""
    if typing.get_origin(annotation) is not dict:
        return False
    values = typing.get_args(annotation)[-1]
    return not (isinstance(values, type) and issubclass(values, BaseModel))


def describe_allowed(loc: tuple) -> str:
    """Human description of what the schema allows at ``loc`` (type, range, unit, meaning)."""
    annotation, info = schema_at(loc)
    if info is None:
        return ""
    bits = []
    lo = hi = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        kind = "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        kind = f"a table with keys {', '.join(annotation.model_fields)}"
    if typing.get_origin(annotation) is dict:
        kind = "a table of named entries"
    if typing.get_origin(annotation) is list:
        kind = "a list of tables"
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
        options = list(dict.fromkeys(names.get(a, a.__name__) for a in typing.get_args(annotation)))
        kind = ", ".join(options[:-1]) + f" or {options[-1]}"
    if kind:
        bits.append(kind)
    lo_len = next((m.min_length for m in info.metadata if getattr(m, "min_length", None)), None)
    hi_len = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
    if lo_len is not None and hi_len is not None:
        bits.append(f"({lo_len} to {hi_len} of them)")
    if lo is not None and hi is not None:
        bits.append(f"from {_num(lo)} to {_num(hi)}")
    elif lo is not None:
        bits.append(f"at least {_num(lo)}")
    unit = (info.json_schema_extra or {}).get("unit") if isinstance(info.json_schema_extra, dict) else None
    text = "must be " + " ".join(bits) if bits else ""
    if unit:
        text += f" ({unit})"
    if info.description:
        text += f"{' - ' if text else ''}{info.description.rstrip('.')}"
    return text


def _num(value: float) -> str:
    """A bound as written: whole numbers in full (2**62, not 4.61169e+18), others short."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _origin_of(origin: dict[tuple, str], loc: tuple, default: str) -> str:
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in origin:
            return origin[loc[:cut]]
    return default


def _format_error(
    err: dict[str, Any],
    origin: dict[tuple, str],
    default_file: str,
    shows_values: Callable[[str], bool] = lambda _file: True,
) -> str:
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc)
    file = _origin_of(origin, loc, default_file)
    if err["type"] == "extra_forbidden":
        parent, _ = schema_at(loc[:-1])
        options = _schema_children(parent) if isinstance(parent, type) else []
        hint = difflib.get_close_matches(str(loc[-1]), options, n=1)
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        return (
            f"{file}: unknown key {_short(path)}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; allowed at {where}: {', '.join(options)}."
        )
    if err["type"] == "missing":
        return f"{file}: {path or 'scenario'} is required: {describe_allowed(loc)}."
    allowed = describe_allowed(loc)
    if not shows_values(file):  # a file the sender did not send: say where, never what
        return f"{file}: {path or 'the scenario'} is not allowed: {allowed or 'see the schema'}."
    if not loc or err["type"] in ("value_error", "assertion_error"):
        msg = err["msg"].removeprefix("Value error, ")
        return f"{file}: {path + ': ' if path else ''}{msg}."
    value = err.get("input")
    return f"{file}: {path} = {_short(value)} is not allowed: {allowed or err['msg']}."


def _merge_union_errors(errors: list[Any]) -> list[Any]:
    """Pydantic reports a value that fits no member of a union (``bool | int | float | str``) once
    per member, with the member's name appended to the location; report it once, at the key."""
    merged: dict[tuple, Any] = {}
    for err in errors:
        loc = tuple(err["loc"])
        parent, _ = schema_at(loc[:-1]) if loc else (None, None)
        if typing.get_origin(parent) in (types.UnionType, typing.Union):
            err = {**err, "loc": loc[:-1], "type": "union_mismatch"}
        merged.setdefault(tuple(err["loc"]), err)
    return list(merged.values())


#: Problems spelled out in one message; the rest are counted (fix these, then run again).
_ERRORS_SHOWN = 5


def _validate(
    data: dict[str, Any],
    origin: dict[tuple, str],
    label: str,
    access: Access = TRUSTED,
    limits: ScenarioLimits | None = None,
) -> Scenario:
    limits = limits or _limits()

    def shows_values(file: str) -> bool:
        return access.shows_values_of(file, label)

    try:
        check_shape(data, label, limits, lambda path: _origin_of(origin, path, label))
        try:
            scenario = Scenario.model_validate(data, strict=True)  # "10" is not 10
        except ValidationError as exc:
            errors = _merge_union_errors(exc.errors(include_url=False))
            first = errors[0]
            file = _origin_of(origin, tuple(first["loc"]), label)
            parts = [_format_error(e, origin, label, shows_values) for e in errors[:_ERRORS_SHOWN]]
            text = " ".join(parts)
            if len(errors) > _ERRORS_SHOWN:
                more = f" (and {len(errors) - _ERRORS_SHOWN:,} more problems.)"
                room = MESSAGE_CHARS - len(more)  # the count survives a long first message
                text = (text if len(text) <= room else text[: room - 3] + "...") + more
            raise ScenarioError(text, file=file, key_path=".".join(str(p) for p in first["loc"])) from None
        _check_events(scenario, origin, label, shows_values)
    except ScenarioError as exc:
        if access.trusted:
            raise
        raise _redacted(exc, _hidden_text(data, origin, shows_values)) from None
    return scenario


def _hidden_text(
    data: dict[str, Any], origin: dict[tuple, str], shows_values: Callable[[str], bool]
) -> set[str]:
    """Text values set by files whose values a message may not show (untrusted loading)."""
    hidden = set()
    for path, file in origin.items():
        if shows_values(file):
            continue
        node: Any = data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, str) and len(node) >= 3:
            hidden.add(node)
    return hidden


def _redacted(exc: ScenarioError, hidden: set[str]) -> ScenarioError:
    """``exc`` with every hidden text value cut out of its message (a check across several keys
    quotes values: ``focus = '...' is not a firm``)."""
    text = str(exc)
    for value in sorted(hidden, key=len, reverse=True):
        text = text.replace(value, "(hidden)")
    return ScenarioError(text, file=exc.file, key_path=exc.key_path)


def _open_path(trial: dict[str, Any], parts: list[str]) -> None:
    """Replace the validated sections along ``parts`` in ``trial`` by editable copies (dicts)."""
    node: Any = trial
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return
        child = node[part]
        if isinstance(child, BaseModel):
            child = child.model_dump()
        elif isinstance(child, dict):
            child = dict(child)
        else:
            return
        node[part] = child
        node = child


def _check_events(
    scenario: Scenario, origin: dict[tuple, str], label: str, shows_values: Callable[[str], bool]
) -> None:
    """Each event's ``set`` keys must be valid overrides with valid values, and the scenario must
    stay valid as the events apply, week by week, as the model applies them.

    Linear in the number of events: each week's changes are checked on a copy of only the
    sections they touch (the rest stay validated models), not on a copy of the whole scenario.
    """
    state = scenario.model_copy(update={"events": []})
    order = sorted(range(len(scenario.events)), key=lambda i: scenario.events[i].week)
    for _week, indices in itertools.groupby(order, key=lambda i: scenario.events[i].week):
        trial = {name: getattr(state, name) for name in Scenario.model_fields}
        changes = []
        for i in indices:
            for key, value in scenario.events[i].set.items():
                file = _origin_of(origin, ("events", i, "set", key), label)
                where = f"{file}: events[{i}].set"
                key_path = f"events.{i}.set.{key}"
                reason = reason_fixed_at_start(key)
                if reason is not None:
                    raise ScenarioError(
                        f"{where}: {key} cannot change during a run: {reason}; "
                        "set it in the scenario itself (or with --set) instead.",
                        file=file,
                        key_path=key_path,
                    )
                _open_path(trial, key.split("."))
                try:
                    target = apply_override(trial, key, value, label=where)
                except ScenarioError as exc:
                    raise ScenarioError(str(exc), file=file, key_path=key_path) from None
                changes.append((target, key, value, file, where, key_path))
        try:
            state = Scenario.model_validate(trial, strict=True)
        except ValidationError as exc:
            err = _merge_union_errors(exc.errors(include_url=False))[0]
            loc = tuple(err["loc"])
            # blame the change at that key, else the week's last change (a check across keys)
            target, key, value, file, where, key_path = next(
                (c for c in changes if loc[: len(c[0])] == c[0]), changes[-1]
            )
            reason = describe_allowed(loc) or err["msg"]
            if err["type"] in ("value_error", "assertion_error"):
                reason = err["msg"].removeprefix("Value error, ")
            shown = f" = {_short(value)}" if shows_values(file) else ""
            raise ScenarioError(
                f"{where}: {key}{shown} is not allowed: {reason}.", file=file, key_path=key_path
            ) from None


def _plain(value: Any) -> Any:
    """A NumPy scalar (from a sweep design, say) as the Python value it holds."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _normalise_overrides(overrides: Mapping[str, Any] | Iterable[str] | None) -> list[tuple]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(k.replace("__", "."), _plain(v)) for k, v in overrides.items()]
    return [parse_override(text) for text in overrides]


def _apply_overrides(
    data: dict[str, Any], origin: dict[tuple, str], overrides: Mapping[str, Any] | Iterable[str] | None
) -> None:
    """Apply overrides to ``data``; each one, and everything below it, is blamed on itself."""
    for key, value in _normalise_overrides(overrides):
        where = apply_override(data, key, value)
        _forget(origin, where)
        _mark(origin, where, value, f"override {key}")


def load_scenario(
    source: str | os.PathLike[str] | Scenario,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    access: Access = TRUSTED,
) -> Scenario:
    """Load a scenario by shipped name or file path, apply overrides and validate it.

    ``overrides`` is a mapping of dotted keys (``"firms.pharmacy.culture.trust": 0.8``; ``__`` may
    stand for ``.`` so keys can be Python identifiers) or an iterable of ``"KEY=VALUE"`` strings.
    A :class:`Scenario` passed in is copied and overridden. ``access`` limits what a scenario read
    on behalf of someone else may extend (see :class:`Access`). Raises :class:`ScenarioError`.
    """
    origin: dict[tuple, str] = {}
    limits = _limits()
    if isinstance(source, Scenario):
        label = source.name or "scenario"
        data = source.model_dump(mode="json")
    else:
        path = _resolve(source, access=access, limits=limits)
        label = access.label(path)
        data = _load_raw(path, origin, access=access, limits=limits)
        data.setdefault("name", path.stem)
    _apply_overrides(data, origin, overrides)
    return _validate(data, origin, label, access, limits)


def scenario_from_toml(text: str, label: str = "<uploaded scenario>", access: Access = UNTRUSTED) -> Scenario:
    """Validate scenario TOML text (an upload, say). ``extends`` may name shipped scenarios and,
    with an ``access`` that allows folders, files in them; nothing else (see :class:`Access`)."""
    origin: dict[tuple, str] = {}
    limits = _limits()
    data = _parse_toml(text, label, limits)
    merged = _merge_parents(data, label, None, origin, (), access, limits)
    return _validate(merged, origin, label, access, limits)


def scenario_to_toml(scenario: Scenario) -> str:
    """Write a complete, self-contained scenario as TOML that :func:`load_scenario` reads back
    to an equal scenario."""
    return tomli_w.dumps(scenario.model_dump(mode="json"))
