"""Domain errors shared by the service-desk and sales services (routes turn them into HTTP)."""

from __future__ import annotations


class NotPermitted(PermissionError):
    """The actor's role or relation to the record does not allow this change."""
