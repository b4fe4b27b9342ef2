"""Production refuses what only development may use; topics keep the whole history."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.reporting.settings import ReportingSettings
from shared.messaging.kafka import all_topics, topic_specs

PRODUCTION = {"environment": "production", "jwt_jwks_url": "https://sso.example.test/certs"}
S3 = {
    "evidence_storage": "s3",
    "s3_endpoint_url": "http://minio:9000",
    "s3_bucket": "kinerja-evidence",
    "s3_access_key_id": "kinerja",
    "s3_secret_access_key": "secret",
}


def test_production_refuses_evidence_on_the_local_disk() -> None:
    with pytest.raises(ValidationError, match="KINERJA_EVIDENCE_STORAGE=s3"):
        ReportingSettings.model_validate(PRODUCTION)
    assert ReportingSettings.model_validate(PRODUCTION | S3).evidence_storage == "s3"
    assert ReportingSettings().evidence_storage == "local"  # development keeps the simple default


def test_every_topic_keeps_its_whole_history_with_the_configured_replication() -> None:
    specs = topic_specs(replication_factor=3)
    assert {spec.name: spec.num_partitions for spec in specs} == all_topics()
    for spec in specs:
        assert spec.replication_factor == 3
        # The replay rebuilds views from the first event: nothing may expire.
        assert spec.topic_configs["retention.ms"] == "-1"
        assert spec.topic_configs["retention.bytes"] == "-1"
