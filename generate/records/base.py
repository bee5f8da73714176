"""The JSON codec of every record: `to_json` out, `from_json` in, typed by the dataclass's hints."""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from dataclasses import field
from typing import Any, TypeVar

T = TypeVar("T", bound="Record")


def to_jsonable(value: Any) -> Any:
    """Plain JSON values; non-finite floats become null (strict JSON)."""
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def _decode(hint: Any, value: Any) -> Any:
    """`value` from JSON, rebuilt as the type `hint` names (records, lists, dicts, optionals)."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_json(value)
    if origin in (list, tuple):
        (item, *_rest) = typing.get_args(hint) or (Any,)
        items = [_decode(item, v) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_type, item = typing.get_args(hint)
        return {(int(k) if key_type is int else k): _decode(item, v) for k, v in value.items()}
    if hint is float and isinstance(value, int):
        return float(value)
    return value


class Record:
    """Mixin of the dataclasses below: JSON out and in, typed."""

    def to_json(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            out[f.name] = to_jsonable(value)
        return out

    @classmethod
    def from_json(cls: type[T], data: dict[str, Any]) -> T:
        hints = _field_hints(cls)
        return cls(**{k: _decode(hints[k], v) for k, v in data.items() if k in hints})


@functools.cache
def _field_hints(cls: type) -> dict[str, Any]:
    """A record class's fields and their resolved types (resolving them is most of a decode's cost:
    a site renders tens of thousands of records)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def optional(default: Any = None) -> Any:
    """A field written to JSON only when set (argument-specific details of a verdict, say)."""
    return field(default=default, metadata={"omit_none": True})
