"""The routing engine: pure decision logic that consumes events and returns commands."""
