"""Reporting: figures computed from call records and call events only."""
