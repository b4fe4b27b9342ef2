"""A service reads its own settings class from the shared base the runtime holds, and nothing else."""

from __future__ import annotations

import pytest

from services.feedback.settings import FeedbackSettings
from services.reporting.settings import ReportingSettings
from shared.settings import ServiceSettings, own_settings


def test_a_service_gets_its_own_settings_class_back():
    held: ServiceSettings = ReportingSettings()
    assert own_settings(held, ReportingSettings) is held


def test_another_services_settings_are_refused_naming_both_classes():
    with pytest.raises(TypeError, match="FeedbackSettings, not ReportingSettings"):
        own_settings(FeedbackSettings(), ReportingSettings)
