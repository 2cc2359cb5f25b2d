"""RTP media for the telephony engine: wire formats (RTP, RTCP, RFC 4733 events, SDP), G.711
codecs, a jitter buffer, WAV prompts and recordings, announcements, tone tools, and the asyncio RTP
endpoint with its relay bridge and frame tap.

Everything except `rtp_endpoint` and `media_session` is pure: bytes and numbers in, bytes and
numbers out, no sockets and no clocks.
"""
