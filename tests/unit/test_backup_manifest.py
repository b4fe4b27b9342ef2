"""A backup's manifest is refused, before any data is loaded, when its compression entries cannot be
set again: they go into an ``ALTER TABLE`` after the restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinerja.backup import BackupError, Manifest


def manifest_with(directory: Path, column_compression: dict[str, str]) -> Path:
    Manifest("2026-12-06T00:00:00+00:00", ["reporting"], {}, column_compression=column_compression).write(
        directory
    )
    return directory


def test_a_manifest_with_known_methods_is_read_back(tmp_path: Path):
    methods = {"reporting.outbox.value": "lz4", "scoring.facts.payload": "pglz"}
    assert Manifest.read(manifest_with(tmp_path, methods)).column_compression == methods


def test_an_unknown_compression_method_is_refused_by_name(tmp_path: Path):
    with pytest.raises(BackupError, match=r"unknown compression method 'zstd' for reporting\.outbox\.value"):
        Manifest.read(manifest_with(tmp_path, {"reporting.outbox.value": "zstd"}))


@pytest.mark.parametrize(
    "name", ["reporting.outbox", 'reporting.outbox."value"; DROP', "Reporting.outbox.value"]
)
def test_a_column_that_is_not_schema_table_column_is_refused(tmp_path: Path, name: str):
    with pytest.raises(BackupError, match=r"is not schema\.table\.column"):
        Manifest.read(manifest_with(tmp_path, {name: "lz4"}))
