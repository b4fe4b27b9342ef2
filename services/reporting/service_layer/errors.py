"""Errors of the reporting service beyond the shared ones (the domain's refusals need no mapping)."""

from __future__ import annotations

from shared.errors import ApiError


class StorageUnavailable(ApiError):
    """The evidence store could not be reached; the client may retry."""

    status_code = 503
