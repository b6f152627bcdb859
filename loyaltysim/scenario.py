"""Load scenario files: find them, inherit (``extends``), override, validate, explain errors.

A scenario file is TOML data, never executed. Loading goes:

1. find the file (a path, or the name of a shipped scenario in ``scenarios/``);
2. read it and, recursively, the files it ``extends`` (a name or list of names), deep-merging tables
   (a child's value replaces its parent's; lists such as ``events`` are replaced whole);
3. apply dotted overrides (``firms.pharmacy.culture.trust=0.8``) from the CLI or Python;
4. validate against :mod:`loyaltysim.schema`.

Every failure raises :class:`ScenarioError`, one paragraph naming the file, the key path, the bad
value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import os
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from loyaltysim.schema import Scenario
from loyaltysim.shipped import find_toml
from loyaltysim.startup_keys import reason_fixed_at_start

__all__ = [
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


class ScenarioError(ValueError):
    """A scenario could not be loaded; the message names the file, key path and what is allowed."""

    def __init__(self, message: str, file: str | None = None, key_path: str | None = None):
        self.file = file
        self.key_path = key_path
        super().__init__(message.translate(_LINE_BREAKS))


# Characters str.splitlines() breaks at; a key or value read from a file may contain them, and the
# message must stay one paragraph, so they are shown escaped.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def scenarios_dir() -> Path:
    """The folder of shipped scenarios: ``$LOYALTYSIM_SCENARIOS``, the repository's
    ``scenarios/`` beside the package, or the copy installed inside the package."""
    env = os.environ.get("LOYALTYSIM_SCENARIOS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    repo = here.parent / "scenarios"
    return repo if repo.is_dir() else here / "_scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names (file stems, leading '_' = abstract bases excluded) -> paths."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml")) if not p.stem.startswith("_")}


def _resolve(source: str | os.PathLike[str], relative_to: Path | None = None,
             referrer: str | None = None) -> Path:
    """Turn a scenario name or path into an existing file path."""
    text = os.fspath(source)
    found = find_toml(text, scenarios_dir(), [relative_to] if relative_to is not None else [])
    if found.path is not None:
        return found.path
    where = f"{referrer}: extends = {text!r}" if referrer else f"scenario {text!r}"
    raise ScenarioError(
        f"{where}: no such scenario file or shipped scenario" + found.did_you_mean()
        + f". Shipped scenarios: {', '.join(found.names)}; or give a path to a .toml file.",
        file=referrer, key_path="extends" if referrer else None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the file ({exc.strerror}).", file=str(path)) \
            from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file; scenario files are TOML text.",
                            file=str(path)) from None
    return _parse_toml(text, str(path))


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{label}: not valid TOML: {exc}. Check quotes, brackets and "
                            "'key = value' syntax at that line.", file=label) from None


def _deep_merge(base: dict[str, Any], child: Mapping[str, Any], origin: dict[tuple, str],
                label: str | None, prefix: tuple = ()) -> None:
    """Merge ``child`` into ``base`` in place, recording which file set each key (``label``
    None: ``child`` is a parent's merged data, whose keys the parent's own loading recorded)."""
    for key, value in child.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value, origin, label, path)
        else:
            base[key] = copy.deepcopy(value)
            if label is not None:
                _mark(origin, path, value, label)


def _mark(origin: dict[tuple, str], path: tuple, value: Any, label: str) -> None:
    origin[path] = label
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _mark(origin, (*path, key), sub, label)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _mark(origin, (*path, i), sub, label)


def _load_raw(path: Path, origin: dict[tuple, str], chain: tuple[Path, ...] = ()) -> dict:
    """Read ``path`` and everything it extends, merged, parents first."""
    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(str(p.name) for p in (*chain, resolved))
        raise ScenarioError(f"{path}: extends forms a cycle ({loop}); a scenario cannot inherit "
                            "from itself.", file=str(path), key_path="extends")
    data = _read_toml(path)
    parents = data.pop("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}: extends = {parents!r} is not allowed: give a scenario name "
                            "or path, or a list of them.", file=str(path), key_path="extends")
    merged: dict[str, Any] = {}
    for parent in parents:
        parent_path = _resolve(parent, relative_to=path.parent, referrer=str(path))
        _deep_merge(merged, _load_raw(parent_path, origin, (*chain, resolved)), origin, None)
    _deep_merge(merged, data, origin, str(path))
    return merged


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and read VALUE as a TOML value (number, true/false, "string").

    Bare words that are not TOML values are taken as strings, so ``--set name=demo`` works.
    """
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. "
                            "firms.pharmacy.culture.trust=0.8.", key_path=text)
    key, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _schema_children(model: type[BaseModel] | None) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def schema_at(parts: Iterable[Any]) -> tuple[Any, Any]:
    """Follow a dotted key path (as parts) through the scenario schema; return (annotation,
    FieldInfo) at its end - what the key holds and its declared range, unit and meaning. Used by
    the sweep and validation loaders to check keys against the schema."""
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


def apply_override(data: dict[str, Any], key: str, value: Any,
                   label: str | None = None) -> tuple[Any, ...]:
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
        if typing.get_origin(parent_annotation) is list:  # an entry by position: events.0.week
            where = ".".join(parts[:depth])
            if not (part.isdigit() and int(part) < len(node)):
                entries = "1 entry (0)" if len(node) == 1 else f"{len(node)} entries (0 to {len(node) - 1})"
                raise ScenarioError(
                    f"{label}: {where} has {entries}, so {'.'.join(parts[: depth + 1])!r} names "
                    "none; an override can change an entry's keys, not add one.",
                    file=label, key_path=key)
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
                file=label, key_path=key)
        if depth == len(parts) - 1:
            node[part] = value
            return _data_path(parts)
        if typing.get_origin(annotation) is list:
            if not isinstance(node.get(part), list):
                raise ScenarioError(
                    f"{label}: {'.'.join(parts[: depth + 1])} has no entries; an override can "
                    "change an entry's keys, not add one (add it in the scenario file).",
                    file=label, key_path=key)
            node = node[part]
        else:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]


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
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        annotation)
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
    unit = (info.json_schema_extra or {}).get("unit") if isinstance(info.json_schema_extra,
                                                                      dict) else None
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


def _format_error(err: dict[str, Any], origin: dict[tuple, str], default_file: str) -> str:
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc)
    file = _origin_of(origin, loc, default_file)
    if err["type"] == "extra_forbidden":
        parent, _ = schema_at(loc[:-1])
        options = _schema_children(parent) if isinstance(parent, type) else []
        hint = difflib.get_close_matches(str(loc[-1]), options, n=1)
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        return (f"{file}: unknown key {path!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; allowed at {where}: {', '.join(options)}.")
    if err["type"] == "missing":
        return f"{file}: {path or 'scenario'} is required: {describe_allowed(loc)}."
    if not loc or err["type"] in ("value_error", "assertion_error"):
        msg = err["msg"].removeprefix("Value error, ")
        return f"{file}: {path + ': ' if path else ''}{msg}."
    allowed = describe_allowed(loc)
    value = err.get("input")
    return f"{file}: {path} = {value!r} is not allowed: {allowed or err['msg']}."


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


def _validate(data: dict[str, Any], origin: dict[tuple, str], label: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = _merge_union_errors(exc.errors(include_url=False))
        first = errors[0]
        file = _origin_of(origin, tuple(first["loc"]), label)
        text = " ".join(_format_error(e, origin, label) for e in errors)
        raise ScenarioError(text, file=file,
                            key_path=".".join(str(p) for p in first["loc"])) from None
    _check_events(scenario, data, origin, label)
    return scenario


def _check_events(scenario: Scenario, data: dict[str, Any], origin: dict[tuple, str],
                  label: str) -> None:
    """Each event's ``set`` keys must be valid overrides with valid values."""
    for i, event in enumerate(scenario.events):
        trial = copy.deepcopy(data)
        for key, value in event.set.items():
            file = _origin_of(origin, ("events", i, "set", key), label)
            where = f"{file}: events[{i}].set"
            reason = reason_fixed_at_start(key)
            if reason is not None:
                raise ScenarioError(f"{where}: {key} cannot change during a run: {reason}; set it "
                                    "in the scenario itself (or with --set) instead.",
                                    file=file, key_path=f"events.{i}.set.{key}")
            try:
                apply_override(trial, key, value, label=where)
            except ScenarioError as exc:
                raise ScenarioError(str(exc), file=file, key_path=f"events.{i}.set.{key}") \
                    from None
            try:
                Scenario.model_validate(trial)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                loc = tuple(err["loc"])
                raise ScenarioError(
                    f"{where}: {key} = {value!r} is not allowed: "
                    f"{describe_allowed(loc) or err['msg']}.",
                    file=file,
                    key_path=f"events.{i}.set.{key}") from None


def _normalise_overrides(overrides: Mapping[str, Any] | Iterable[str] | None) -> list[tuple]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(k.replace("__", "."), v) for k, v in overrides.items()]
    return [parse_override(text) for text in overrides]


def load_scenario(source: str | os.PathLike[str] | Scenario,
                  overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """Load a scenario by shipped name or file path, apply overrides and validate it.

    ``overrides`` is a mapping of dotted keys (``"firms.pharmacy.culture.trust": 0.8``; ``__`` may
    stand for ``.`` so keys can be Python identifiers) or an iterable of ``"KEY=VALUE"`` strings.
    A :class:`Scenario` passed in is copied and overridden. Raises :class:`ScenarioError`.
    """
    origin: dict[tuple, str] = {}
    if isinstance(source, Scenario):
        label = source.name or "scenario"
        data = source.model_dump(mode="json")
    else:
        path = _resolve(source)
        label = str(path)
        data = _load_raw(path, origin)
        data.setdefault("name", path.stem)
    for key, value in _normalise_overrides(overrides):
        origin[apply_override(data, key, value)] = f"override {key}"
    return _validate(data, origin, label)


def scenario_from_toml(text: str, label: str = "<uploaded scenario>") -> Scenario:
    """Validate scenario TOML text (an upload, say); ``extends`` resolves to shipped scenarios."""
    origin: dict[tuple, str] = {}
    data = _parse_toml(text, label)
    parents = data.pop("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{label}: extends = {parents!r} is not allowed: give a scenario name "
                            "or a list of them.", file=label, key_path="extends")
    merged: dict[str, Any] = {}
    for parent in parents:
        parent_path = _resolve(parent, referrer=label)
        _deep_merge(merged, _load_raw(parent_path, origin), origin, None)
    _deep_merge(merged, data, origin, label)
    return _validate(merged, origin, label)


def scenario_to_toml(scenario: Scenario) -> str:
    """Write a complete, self-contained scenario as TOML that :func:`load_scenario` reads back
    to an equal scenario."""
    return tomli_w.dumps(scenario.model_dump(mode="json"))
