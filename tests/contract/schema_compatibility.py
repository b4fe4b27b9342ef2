"""Backward-compatibility check between two JSON schemas of one event contract.

A topic keeps every message ever published (replays, new consumer groups), and old consumers keep
running while producers are upgraded. A change is therefore compatible only when the new schema
still reads every old message *and* old consumers still read every new message. In practice that
leaves the additive changes: a new optional field (with a default), a new enum value, a new event
type on its own snapshot. Everything else is reported, one line per break:

- a field removed, or a field that became required, or a new required field (no default);
- a type changed (a type no longer accepted, or a new type old consumers refuse, ``null`` included);
- enum values removed;
- a validation constraint added, removed or changed (length, range, pattern, format, items);
- a default changed (old messages without the field would now mean something else);
- unknown fields refused where they used to be ignored.

Titles, descriptions and examples are documentation and never break anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

#: Keywords that restrict which values validate: any change to one of them breaks old messages or readers.
CONSTRAINT_KEYWORDS = (
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


@dataclass(frozen=True, slots=True)
class Break:
    """One backward-incompatible difference, at a JSON path inside the event."""

    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.kind}: {self.detail}"


def breaking_changes(old: Schema, new: Schema) -> list[Break]:
    """Every backward-incompatible difference between an old (snapshot) and a new schema."""
    return list(_Comparison(old, new).compare(old, new, path=""))


class _Comparison:
    """Walks both schemas side by side, resolving ``$ref`` in each schema's own ``$defs``."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self._old_root = old_root
        self._new_root = new_root
        self._visiting: set[tuple[str, str]] = set()

    def compare(self, old: Schema, new: Schema, *, path: str) -> Iterator[Break]:
        old_ref, new_ref = old.get("$ref", ""), new.get("$ref", "")
        if old_ref or new_ref:
            # A recursive model would otherwise be walked forever; one visit per pair of refs is enough.
            if (old_ref, new_ref) in self._visiting:
                return
            self._visiting.add((old_ref, new_ref))
        try:
            yield from self._compare_resolved(
                _resolve(old, self._old_root), _resolve(new, self._new_root), path=path
            )
        finally:
            self._visiting.discard((old_ref, new_ref))

    def _compare_resolved(self, old: Schema, new: Schema, *, path: str) -> Iterator[Break]:
        old_variants = {_kind(v): v for v in _variants(old, self._old_root)}
        new_variants = {_kind(v): v for v in _variants(new, self._new_root)}
        for kind in old_variants.keys() - new_variants.keys():
            yield Break(path, "type changed", f"{kind} is no longer accepted")
        for kind in new_variants.keys() - old_variants.keys():
            yield Break(path, "type changed", f"{kind} is new, and consumers of the old schema refuse it")
        for kind in sorted(old_variants.keys() & new_variants.keys()):
            yield from self._compare_variant(old_variants[kind], new_variants[kind], path=path)

    def _compare_variant(self, old: Schema, new: Schema, *, path: str) -> Iterator[Break]:
        old_enum, new_enum = _enum_values(old), _enum_values(new)
        if old_enum is not None and new_enum is not None:
            removed = [value for value in old_enum if value not in new_enum]
            if removed:
                yield Break(path, "enum values removed", ", ".join(repr(v) for v in removed))
        for keyword in CONSTRAINT_KEYWORDS:
            if old.get(keyword) != new.get(keyword):
                yield Break(
                    path,
                    "constraint changed",
                    f"{keyword} was {old.get(keyword)!r}, is now {new.get(keyword)!r}",
                )
        if old.get("type") == "object":
            yield from self._compare_object(old, new, path=path)
        if old.get("type") == "array":
            old_items, new_items = old.get("items"), new.get("items")
            if isinstance(old_items, dict) and isinstance(new_items, dict):
                yield from self.compare(old_items, new_items, path=f"{path}[]")
            elif old_items != new_items:
                yield Break(path, "type changed", "the items of the array changed shape")

    def _compare_object(self, old: Schema, new: Schema, *, path: str) -> Iterator[Break]:
        old_props: dict[str, Schema] = old.get("properties", {})
        new_props: dict[str, Schema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in old_props:
            field_path = f"{path}.{name}" if path else name
            if name not in new_props:
                yield Break(field_path, "field removed", "consumers of the old schema still read it")
                continue
            if name in new_required and name not in old_required:
                yield Break(field_path, "field became required", "old messages may not carry it")
            if name not in new_required and "default" in old_props[name]:
                old_default, new_default = old_props[name]["default"], new_props[name].get("default")
                if old_default != new_default:
                    yield Break(
                        field_path,
                        "default changed",
                        f"was {old_default!r}, is now {new_default!r}: old messages would change meaning",
                    )
            yield from self.compare(old_props[name], new_props[name], path=field_path)
        for name in new_props.keys() - old_props.keys():
            if name in new_required:
                field_path = f"{path}.{name}" if path else name
                yield Break(field_path, "new required field", "give it a default: old messages lack it")
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            yield Break(path, "unknown fields refused", "they used to be accepted")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            yield from self.compare(old_extra, new_extra, path=f"{path}{{*}}")
        elif isinstance(old_extra, dict) or isinstance(new_extra, dict):
            yield Break(path, "type changed", "the values of the mapping changed shape")


def _resolve(schema: Schema, root: Schema) -> Schema:
    """Follow ``$ref`` (and a single-element ``allOf`` wrapper) to the schema it names."""
    seen: set[str] = set()
    while True:
        if "$ref" in schema:
            ref: str = schema["$ref"]
            if ref in seen or not ref.startswith("#/"):
                return schema
            seen.add(ref)
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            # Sibling keywords of a $ref (a default, a description) apply together with the target.
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            continue
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            schema = {**all_of[0], **{k: v for k, v in schema.items() if k != "allOf"}}
            continue
        return schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    """The alternatives a value may take (``anyOf``/``oneOf`` flattened, refs resolved)."""
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            found: list[Schema] = []
            for option in schema[keyword]:
                found.extend(_variants(_resolve(option, root), root))
            return found
    if isinstance(schema.get("type"), list):
        base = {k: v for k, v in schema.items() if k != "type"}
        return [{**base, "type": name} for name in schema["type"]]
    return [schema]


def _enum_values(schema: Schema) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _kind(schema: Schema) -> str:
    """What sort of value a variant accepts: its JSON type, and whether it is a closed set."""
    base = str(schema.get("type", "any"))
    return f"enum of {base}" if _enum_values(schema) is not None else base
