"""The SIP layer of the real telephony engine (RFC 3261): pure wire formats, digest
authentication, transactions, dialogs and the registrar, with asyncio transports on top.

Everything but `transport` is pure: no sockets, no wall clock. Time arrives as arguments or
through an injected `acd.clock.Clock`.
"""
