"""Snapshots of every event contract's JSON schema, and the command that refreshes them.

``python -m tests.contract.snapshot_schemas`` writes ``tests/contract/schemas/<topic>/<EventType>.json``
for every event class (and ``Envelope.json`` for the envelope), after an additive change or a new
event type. It refuses to overwrite a snapshot with a breaking change: a breaking change is a new
event class on a new ``.v2`` topic, published beside the old one for a while (see
``shared/contracts/base.py``). ``--check`` only reports, as the test does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from shared.contracts import EVENT_TYPES, Envelope
from tests.contract.schema_compatibility import Schema, breaking_changes

SNAPSHOT_DIR = Path(__file__).parent / "schemas"
ENVELOPE_SNAPSHOT = "Envelope.json"


def schema_of(model: type[BaseModel]) -> Schema:
    """The JSON schema consumers validate against (validation mode: what a reader accepts)."""
    return model.model_json_schema(mode="validation")


def current_schemas(event_types: Mapping[str, type[BaseModel]] | None = None) -> dict[str, Schema]:
    """Every contract's current schema by its snapshot path, relative to the snapshot directory.

    ``event_types`` defaults to the registry; any model with a ``topic`` class variable will do.
    """
    types: Mapping[str, type[BaseModel]] = EVENT_TYPES if event_types is None else event_types
    schemas = {ENVELOPE_SNAPSHOT: schema_of(Envelope)}
    for name, cls in sorted(types.items()):
        topic = getattr(cls, "topic")  # noqa: B009 - a class variable, not declared on BaseModel
        schemas[f"{topic}/{name}.json"] = schema_of(cls)
    return schemas


def stored_snapshots(directory: Path = SNAPSHOT_DIR) -> dict[str, Schema]:
    """The snapshots on disk by their relative path."""
    found: dict[str, Schema] = {}
    for path in sorted(directory.rglob("*.json")):
        loaded: Schema = json.loads(path.read_text(encoding="utf-8"))
        found[path.relative_to(directory).as_posix()] = loaded
    return found


def problems(current: dict[str, Schema], snapshots: dict[str, Schema]) -> list[str]:
    """Why the current contracts do not match their snapshots (empty when all are compatible)."""
    found: list[str] = []
    for path in sorted(current.keys() - snapshots.keys()):
        found.append(
            f"{path}: no snapshot: a new event type (or one moved to another topic); "
            "run `python -m tests.contract.snapshot_schemas` to record it"
        )
    for path in sorted(snapshots.keys() - current.keys()):
        found.append(
            f"{path}: the snapshot has no event class any more: consumers and replays still read "
            "these messages; keep the class (retire it deliberately by deleting the snapshot)"
        )
    for path in sorted(current.keys() & snapshots.keys()):
        found.extend(f"{path}: {change}" for change in breaking_changes(snapshots[path], current[path]))
    return found


def write_snapshot(path: Path, schema: Schema) -> None:
    """Write one snapshot in a stable, reviewable form."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def refresh(directory: Path = SNAPSHOT_DIR, *, accept_breaking: bool = False) -> tuple[list[str], list[str]]:
    """Record every compatible current schema; returns (written paths, refused breaking changes)."""
    current = current_schemas()
    snapshots = stored_snapshots(directory)
    written: list[str] = []
    refused: list[str] = []
    for path, schema in current.items():
        old = snapshots.get(path)
        if old == schema:
            continue
        breaks = [] if old is None else breaking_changes(old, schema)
        if breaks and not accept_breaking:
            refused.extend(f"{path}: {change}" for change in breaks)
            continue
        write_snapshot(directory / path, schema)
        written.append(path)
    return written, refused


def main(argv: list[str] | None = None) -> int:
    """Refresh (or only check) the snapshots; non-zero when something is incompatible."""
    parser = argparse.ArgumentParser(prog="python -m tests.contract.snapshot_schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report, write nothing")
    parser.add_argument(
        "--accept-breaking",
        action="store_true",
        help="overwrite even breaking changes (only before a contract was ever published)",
    )
    args = parser.parse_args(argv)
    if args.check:
        found = problems(current_schemas(), stored_snapshots())
        _say(*found or ["all event schemas are compatible with their snapshots"])
        return 1 if found else 0
    written, refused = refresh(accept_breaking=args.accept_breaking)
    _say(*(f"recorded {path}" for path in written), *(f"refused (breaking) {line}" for line in refused))
    if not written and not refused:
        _say("snapshots are up to date")
    return 1 if refused else 0


def _say(*lines: str) -> None:
    for line in lines:
        print(line)  # noqa: T201 - this module is a command


if __name__ == "__main__":
    sys.exit(main())
