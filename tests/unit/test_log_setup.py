"""The server's log level applies to the structured log and the standard loggers, on stderr."""

from __future__ import annotations

import logging

import pytest
import structlog

from agent_ui.cli.log_setup import configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    structlog.reset_defaults()
    root.setLevel(level)
    root.handlers[:] = handlers


def test_given_level_warning_when_logging_then_info_dropped_and_warning_on_stderr(capsys):
    configure_logging("warning")
    log = structlog.get_logger("hotline.test")
    log.info("leg", move="ringing -> up")
    log.warning("carrier task failed", call_id="c1")
    logging.getLogger("telephony.sip.transport").info("closing TCP connection")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "carrier task failed" in captured.err
    assert "call_id=c1" in captured.err
    assert "ringing" not in captured.err
    assert logging.getLogger().level == logging.WARNING


def test_given_level_debug_when_logging_then_debug_kept():
    configure_logging("DEBUG")
    assert structlog.get_logger().is_enabled_for(logging.DEBUG)


def test_given_unknown_level_when_configuring_then_key_error():
    with pytest.raises(KeyError):
        configure_logging("LOUD")
