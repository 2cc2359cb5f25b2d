"""Prometheus metrics of the web application, on a registry of its own.

Each app gets its own `CollectorRegistry` (not the library's global one), so several apps in one
process, as in the tests, do not collide on metric names.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class WebMetrics:
    """Counters and histograms the web app updates, and their text exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "hotline_http_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hotline_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            registry=self.registry,
        )
        self.logins = Counter(
            "hotline_logins",
            "Login attempts, by outcome (ok, failed, throttled).",
            ["outcome"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)
