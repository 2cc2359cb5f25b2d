"""An agent's phone (pyVoIP 1.6.8, an independent SIP stack) registers with digest
authentication against our endpoint, registrar and digest server, then unregisters."""

from __future__ import annotations

import asyncio

import pytest

from acd.clock import RealClock
from telephony.sip.builders import build_response, new_tag
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.registrar import Registrar, answer_register
from telephony.sip.transaction import TransactionKey
from telephony.sip.transport import Peer, open_udp

VoIP = pytest.importorskip("pyVoIP.VoIP")

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class RegistrarTu:
    """Answers REGISTER through digest and the registrar; 200 to anything else."""

    def __init__(self, registrar: Registrar, authenticator: DigestAuthenticator) -> None:
        self.registrar = registrar
        self.authenticator = authenticator
        self.endpoint: SipEndpoint | None = None
        self.statuses: list[int] = []

    def on_request(self, request: SipRequest, key: TransactionKey | None, peer: Peer) -> None:
        assert self.endpoint is not None
        if key is None:
            return
        if request.method == "REGISTER":
            response = answer_register(request, self.registrar, self.authenticator, new_tag())
        else:
            response = build_response(request, 200, to_tag=new_tag())
        self.statuses.append(response.status)
        self.endpoint.respond(key, response)

    def on_response(self, response: SipResponse, key: TransactionKey | None, peer: Peer) -> None:
        pass


async def test_given_pyvoip_phone_when_it_registers_with_digest_then_bound_then_unbound():
    clock = RealClock()
    registrar = Registrar(clock)
    authenticator = DigestAuthenticator(
        "hotline.test", b"integration-secret", clock, PasswordStore({"1001": "s3cret-1001"})
    )
    tu = RegistrarTu(registrar, authenticator)
    endpoint = SipEndpoint(clock, tu)
    tu.endpoint = endpoint
    transport = await open_udp(endpoint.receive, symmetric=True)
    endpoint.attach(transport)
    host, port = transport.local_address
    phone = VoIP.VoIPPhone(
        host, port, "1001", "s3cret-1001", myIP=host, sipPort=0, rtpPortLow=40000, rtpPortHigh=40100
    )
    try:
        await asyncio.to_thread(phone.start)
        bindings = registrar.lookup("sip:1001@127.0.0.1")
        assert len(bindings) == 1
        assert 0 < bindings[0].remaining(clock.now()) <= 120
        await asyncio.to_thread(phone.stop)
        assert registrar.lookup("sip:1001@127.0.0.1") == []
    finally:
        transport.close()
    # Each REGISTER is challenged first (pyVoIP sends none pre-authenticated), then accepted.
    assert tu.statuses == [401, 200, 401, 200]
    assert transport.stats.dropped == 0


async def test_given_wrong_password_when_pyvoip_registers_then_never_bound():
    clock = RealClock()
    registrar = Registrar(clock)
    authenticator = DigestAuthenticator(
        "hotline.test", b"integration-secret", clock, PasswordStore({"1001": "right"})
    )
    tu = RegistrarTu(registrar, authenticator)
    endpoint = SipEndpoint(clock, tu)
    tu.endpoint = endpoint
    transport = await open_udp(endpoint.receive, symmetric=True)
    endpoint.attach(transport)
    host, port = transport.local_address
    phone = VoIP.VoIPPhone(
        host, port, "1001", "wrong", myIP=host, sipPort=0, rtpPortLow=40200, rtpPortHigh=40300
    )
    try:
        # pyVoIP logs the refusal and stays "registering" rather than raising.
        await asyncio.wait_for(asyncio.to_thread(phone.start), timeout=20)
        await asyncio.wait_for(asyncio.to_thread(phone.stop), timeout=20)
    finally:
        transport.close()
    assert registrar.lookup("sip:1001@127.0.0.1") == []
    assert set(tu.statuses) == {401}
