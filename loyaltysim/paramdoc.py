"""Generate the Markdown reference of every scenario parameter from :mod:`loyaltysim.schema`.

The schema is the only list of parameters; this module walks its pydantic models and writes one
table row per leaf value: key path (``firms.<id>.culture.trust``), unit, default, allowed range and
meaning and source. Regenerate the committed reference with::

    python -m loyaltysim.paramdoc > docs/parameters.md

A test checks that ``docs/parameters.md`` equals :func:`render`, so the reference never drifts
from the schema.
"""

from __future__ import annotations

import inspect
import sys
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from loyaltysim.schema import Distribution, Scenario, field_range, field_source, field_unit

__all__ = ["Row", "leaf_rows", "main", "render"]


@dataclass(frozen=True)
class Row:
    """One documented parameter."""

    key: str
    unit: str
    default: str
    allowed: str
    description: str
    section: str


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            whole = int(value)
            return f"{whole:,}" if abs(whole) >= 10_000 else f"{whole}"
        return f"{value:g}"
    return str(value)


def _toml_value(value: Any) -> str:
    """A default value as it would be written in a scenario file."""
    if isinstance(value, str):
        return '""' if value == "" else f'"{value}"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return _number(value)


def _allowed(annotation: Any, info: FieldInfo) -> str:
    if annotation is bool:
        return "true or false"
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(_toml_value(a) for a in typing.get_args(annotation))
    if annotation is str:
        return "text"
    if typing.get_origin(annotation) is dict:
        return "table of dotted key = true/false, number or text"
    if typing.get_origin(annotation) is list:
        return "list"
    kind = "whole number" if annotation is int else "number"
    lo, hi = field_range(info)
    if lo is not None and hi is not None:
        return f"{kind} from {_number(lo)} to {_number(hi)}"
    if lo is not None:
        return f"{kind}, at least {_number(lo)}"
    if hi is not None:
        return f"{kind}, at most {_number(hi)}"
    return kind


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith(".") else text + "."


def _walk(model: type[BaseModel], prefix: str, default: BaseModel | None, section: str) -> list[Row]:
    """Rows for every field of ``model``; ``default`` is the model's default instance, if any
    (section defaults such as the segments' shares come from it, not from the field types)."""
    rows: list[Row] = []
    for name, info in model.model_fields.items():
        if default is not None:
            value = getattr(default, name)
        elif info.is_required():
            value = None
        else:
            value = info.get_default(call_default_factory=True)
        rows += _field_rows(f"{prefix}{name}", info, value, section)
    return rows


def _field_rows(key: str, info: FieldInfo, value: Any, section: str) -> list[Row]:
    annotation = info.annotation
    item = typing.get_args(annotation)[-1] if typing.get_origin(annotation) in (dict, list) else None
    if annotation is Distribution:
        return _distribution_rows(key, info, value, section)
    if _is_model(annotation):
        return _walk(annotation, f"{key}.", value, section)
    if typing.get_origin(annotation) is dict and _is_model(item):
        return _walk(item, f"{key}.<id>.", item(), section)
    if typing.get_origin(annotation) is list and _is_model(item):
        head = Row(
            key,
            field_unit(info),
            _toml_value(value),
            "list of tables",
            _sentence(info.description or ""),
            section,
        )
        return [head, *_walk(item, f"{key}[].", item(), section)]
    source = field_source(info)
    meaning = _sentence(info.description or "") + (f" Source: {source}." if source else "")
    return [Row(key, field_unit(info), _toml_value(value), _allowed(annotation, info), meaning, section)]


def _distribution_rows(key: str, info: FieldInfo, value: Distribution, section: str) -> list[Row]:
    """A per-customer trait: document its mean and sd with the trait's own unit and meaning."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    low, high = extra.get("clip", [0.0, None])
    clip = (
        f"draws clipped to at least {_number(low)}"
        if high is None
        else f"draws clipped to {_number(low)}-{_number(high)}"
    )
    meaning = _sentence(info.description or "")
    rows = []
    for part in ("mean", "sd"):
        sub = Distribution.model_fields[part]
        what = "Population mean" if part == "mean" else "Population standard deviation (0 = everyone alike)"
        rows.append(
            Row(
                f"{key}.{part}",
                field_unit(info),
                _toml_value(getattr(value, part)),
                f"{_allowed(sub.annotation, sub)}; {clip}",
                f"{meaning} {what} of this per-customer trait.",
                section,
            )
        )
    return rows


def leaf_rows() -> list[Row]:
    """Every scenario parameter, in schema order. Top-level scalars have section ``""``."""
    rows: list[Row] = []
    for name, info in Scenario.model_fields.items():
        nested = _is_model(info.annotation) or typing.get_origin(info.annotation) in (dict, list)
        value = None if info.is_required() else info.get_default(call_default_factory=True)
        rows += _field_rows(name, info, value, name if nested else "")
    return rows


_SECTION_TITLES = {
    "": "Scenario",
    "market": "market",
    "customers": "customers",
    "network": "network",
    "behaviour": "behaviour",
    "firms": "firms.<id>",
    "events": "events",
}


def _tables(model: type[BaseModel], prefix: str) -> list[tuple[str, str]]:
    """(key, docstring) of every nested table below ``model`` (distributions excluded)."""
    found = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
            name = f"{name}.<id>" if typing.get_origin(info.annotation) is dict else f"{name}[]"
        if _is_model(annotation) and annotation is not Distribution:
            found.append((f"{prefix}{name}", _sentence(inspect.cleandoc(annotation.__doc__ or ""))))
            found += _tables(annotation, f"{prefix}{name}.")
    return found


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _section_doc(section: str) -> str:
    if section == "":
        return "Top-level keys of a scenario file."
    info = Scenario.model_fields[section]
    annotation = info.annotation
    if typing.get_origin(annotation) in (dict, list):
        annotation = typing.get_args(annotation)[-1]
    doc = inspect.cleandoc(annotation.__doc__ or "") if _is_model(annotation) else ""
    extra = info.description or ""
    return " ".join(part for part in (_sentence(doc), _sentence(extra)) if part)


def render() -> str:
    """The Markdown parameter reference."""
    rows = leaf_rows()
    out = [
        "# Scenario parameters",
        "",
        "<!-- Generated from loyaltysim/schema.py by `python -m loyaltysim.paramdoc > "
        "docs/parameters.md`; do not edit by hand. -->",
        "",
        "Every key a scenario file may set, with its unit, default, allowed values and meaning. "
        "Keys are dotted paths: write `firms.pharmacy.culture.trust = 0.8` on the command line "
        "(`--set`) or in an event's `set` table, and `[firms.pharmacy.culture]` / `trust = 0.8` "
        "in a file. `<id>` stands for a firm's key (lowercase letters, digits and `_`). "
        "Per-customer traits are distributions: each customer draws the trait once from "
        "normal(mean, sd), clipped to the range shown. Unknown keys and values outside the "
        "allowed range are errors.",
        "",
    ]
    for section, title in _SECTION_TITLES.items():
        section_rows = [r for r in rows if r.section == section]
        if not section_rows:
            continue
        out += [f"## {title}", "", _section_doc(section), ""]
        if section:
            info = Scenario.model_fields[section]
            item = info.annotation
            if typing.get_origin(item) in (dict, list):
                item = typing.get_args(item)[-1]
            nested = _tables(item, f"{title}.")
            out += [f"- `[{key}]`: {doc}" for key, doc in nested]
            out += [""] if nested else []
        out += ["| Key | Unit | Default | Allowed | Description |", "| --- | --- | --- | --- | --- |"]
        out += [
            f"| `{r.key}` | {_escape(r.unit)} | `{_escape(r.default)}` | "
            f"{_escape(r.allowed)} | {_escape(r.description)} |"
            for r in section_rows
        ]
        out.append("")
    missing = {r.section for r in rows} - set(_SECTION_TITLES)
    if missing:  # a new top-level section in the schema must get a title here
        raise RuntimeError(f"paramdoc: no title for schema section(s) {sorted(missing)}")
    return "\n".join(out)


def main() -> None:
    """Print the reference: ``python -m loyaltysim.paramdoc > docs/parameters.md``."""
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
