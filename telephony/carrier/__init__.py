"""The real carrier: the routing engine's commands carried out over SIP and RTP.

`stack.open_sip_stack` binds and wires it; `carrier.SipCarrier` is the adapter the runtime
drives (a drop-in for `telephony.sim.carrier.SimulatedCarrier`); `center.SipCenter` runs a whole
center on it. Callers come in over trunks (`trunks`), agents' phones register (`phones`), and
each call is a caller's leg (`caller_leg`) and agents' legs (`agent_leg`) whose lifecycles are
tables in `legs`.
"""
