"""The server's log: one level from the settings (`log_level`, `HOTLINE_LOG_LEVEL`) for both the
structured log (structlog, used by the carrier and the routing runtime) and the standard library's
loggers (the SIP transports, uvicorn). Lines go to standard error, so what the commands print on
standard output (the demo's new passwords, the URL) stays apart from the log."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str) -> None:
    """Log at `level` (a `logging` level name, e.g. INFO) and above, to standard error."""
    number = logging.getLevelNamesMapping()[level.upper()]
    logging.basicConfig(
        level=number, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(number)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
