"""Telephony: the carrier adapters (simulated now, SIP/RTP later) that carry out engine commands."""
