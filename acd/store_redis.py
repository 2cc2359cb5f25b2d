"""The Redis `StateStore`: presence and waiting contacts shared by several router processes.

It passes the same contract tests as `MemoryStateStore` and answers the same, in the same order.
Every key starts with the store's prefix (`p` below), so two centers can share one Redis:

- `p:agent:{agent_id}`: hash, one text field per `AgentPresence` field (floats by `repr`, exact).
- `p:agents`, `p:available`: sorted sets of agent ids, scored by the counter `p:order` when the
  agent was first stored / last became available: the order the memory store's dicts keep.
- `p:contact:{call_id}`: hash of a waiting contact: `data` (JSON of every field but
  `offered_to`), `offered_to` (kept apart so a script can compare-and-set it), and `queue`,
  `member`, `score`, which find and guard its place.
- `p:queue:{queue}`: sorted set of members `f"{seq:015d}:{call_id}"` scored by `contact.score`.
  Redis orders equal scores by the member's bytes, that is by seq and then call id: exactly the
  memory store's `(order_key(), call_id)`.
- `p:seq`: the counter behind `next_seq`.

Every operation that reads and then writes is one Lua script, so it is atomic across processes:
no agent is ever reserved twice and a contact is claimed by one agent only. The scripts build key
names from the prefix, so the store needs one Redis server (not Redis Cluster).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import fields
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff

from acd.contacts import WaitingContact
from acd.presence import AgentPresence, AgentState
from acd.state import QueueChoice

SEQ_DIGITS = 15
SEQ_LIMIT = 10**SEQ_DIGITS
# The member is "<15 digits>:<call id>": the call id starts at this 1-based Lua string index.
CALL_ID_AT = SEQ_DIGITS + 2
# A client made by `from_url` retries a command this often on a broken connection, so a pooled
# connection left stale by a Redis restart reconnects instead of failing the next command; with
# Redis down, a command fails with redis.ConnectionError after about a tenth of a second.
RECONNECT_RETRIES = 3
RECONNECT_BASE_S = 0.01
RECONNECT_CAP_S = 0.1

_PUT_AGENT = """
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[4]), ARGV[1])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[3], 'NX', redis.call('INCR', KEYS[4]), ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
"""

# The fields `AgentPresence.transition(RESERVED, at, call_id=...)` changes from AVAILABLE.
_RESERVE_AGENT = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[4] then return false end
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'since', ARGV[2], 'reason', '', 'call_id', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
"""

_LIST_AGENTS = """
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, redis.call('HGETALL', ARGV[1] .. id))
end
return out
"""

_AVAILABLE_AMONG = """
local out = {}
for _, id in ipairs(ARGV) do
  if id ~= '' and redis.call('ZSCORE', KEYS[1], id) then
    table.insert(out, redis.call('HGETALL', KEYS[2] .. id))
  end
end
return out
"""

_ADD_WAITING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'queue')}
end
redis.call('HSET', KEYS[1], 'queue', ARGV[1], 'member', ARGV[2], 'score', ARGV[3],
           'data', ARGV[4], 'offered_to', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return {1, redis.call('ZRANK', KEYS[2], ARGV[2]) + 1}
"""

_UPDATE_WAITING = """
local old = redis.call('HMGET', KEYS[1], 'queue', 'member', 'score')
if not old[1] then return 0 end
if old[1] ~= ARGV[1] or old[2] ~= ARGV[2] or old[3] ~= ARGV[3] then return -1 end
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'offered_to', ARGV[5])
return 1
"""

_REMOVE_WAITING = """
local c = redis.call('HMGET', KEYS[1], 'queue', 'member', 'data', 'offered_to')
if not c[1] then return false end
redis.call('ZREM', ARGV[1] .. c[1], c[2])
redis.call('DEL', KEYS[1])
return {c[3], c[4]}
"""

# A missing hash is skipped rather than returned: a nil would cut the reply short.
_HEAD = """
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]))) do
  local c = redis.call('HMGET', ARGV[1] .. string.sub(m, tonumber(ARGV[3])), 'data', 'offered_to')
  if c[1] then
    table.insert(out, c[1])
    table.insert(out, c[2])
  end
end
return out
"""

_FIRSTS = """
local out = {}
local batch = 16
for _, key in ipairs(KEYS) do
  local found = {'', ''}
  local start = 0
  while true do
    local members = redis.call('ZRANGE', key, start, start + batch - 1)
    for _, m in ipairs(members) do
      local c = redis.call('HMGET', ARGV[1] .. string.sub(m, tonumber(ARGV[2])), 'data',
                           'offered_to')
      if c[1] and (not c[2] or c[2] == '') then
        found = {c[1], ''}
        break
      end
    end
    if found[1] ~= '' or #members < batch then break end
    start = start + batch
  end
  table.insert(out, found[1])
  table.insert(out, found[2])
end
return out
"""

_POSITION = """
local c = redis.call('HMGET', KEYS[1], 'queue', 'member')
if not c[1] then return false end
return redis.call('ZRANK', ARGV[1] .. c[1], c[2]) + 1
"""

_CLAIM_CONTACT = """
if redis.call('HGET', KEYS[1], 'offered_to') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'offered_to', ARGV[2])
return 1
"""

# Put the agent (as _PUT_AGENT); if available, claim the best offerable contact at the heads of
# the queues KEYS[5..] and reserve the agent for it (as _CLAIM_CONTACT and _RESERVE_AGENT).
# ARGV: agent id, available flag, now, contact prefix, CALL_ID_AT, the number n of presence
# field/value items, those n items, then per queue its priority and the claim value.
# A contact waiting for another agent by name is skipped while its window lasts; its JSON is
# decoded only when it names a preferred agent at all.
_TAKE_BEST = """
local n = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], unpack(ARGV, 7, 6 + n))
redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[4]), ARGV[1])
if ARGV[2] ~= '1' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[3], 'NX', redis.call('INCR', KEYS[4]), ARGV[1])
local agent, now, prefix, at = ARGV[1], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local function offerable(data, offered)
  if offered and offered ~= '' then return false end
  if string.find(data, '"preferred_agent":""', 1, true) then return true end
  local ok, c = pcall(cjson.decode, data)
  if not ok then return true end
  return c.preferred_agent == agent or not (now < c.preferred_until)
end
local function first(key)
  local start, batch = 0, 1  -- the head is nearly always the one: read more only if not
  while true do
    local members = redis.call('ZRANGE', key, start, start + batch - 1, 'WITHSCORES')
    for j = 1, #members, 2 do
      local m = members[j]
      local c = redis.call('HMGET', prefix .. string.sub(m, at), 'data', 'offered_to')
      if c[1] and offerable(c[1], c[2]) then
        return m, tonumber(members[j + 1]), tonumber(string.sub(m, 1, at - 2))
      end
    end
    if #members < 2 * batch then return nil end
    start, batch = start + batch, batch * 8
  end
end
local best, best_p, best_s, best_q, best_claim
for i = 5, #KEYS do
  local m, s, q = first(KEYS[i])
  local p = -tonumber(ARGV[7 + n + 2 * (i - 5)])
  if m and (not best or p < best_p or (p == best_p and (s < best_s
      or (s == best_s and q < best_q)))) then
    best, best_p, best_s, best_q, best_claim = m, p, s, q, ARGV[8 + n + 2 * (i - 5)]
  end
end
if not best then return false end
local call_id = string.sub(best, at)
local contact = prefix .. call_id
redis.call('HSET', contact, 'offered_to', best_claim)
redis.call('HSET', KEYS[1], 'state', ARGV[7 + n + 2 * (#KEYS - 4)], 'since', ARGV[3],
           'reason', '', 'call_id', call_id)
redis.call('ZREM', KEYS[3], agent)
local c = redis.call('HMGET', contact, 'data', 'offered_to')
return {c[1], c[2], redis.call('HGETALL', KEYS[1])}
"""

# --- codecs ---------------------------------------------------------------------------------

Reply = bytes | str


def _text(value: Reply) -> str:
    """A reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value


def _encode_bool(value: bool) -> str:
    return "1" if value else "0"


def _float_text(value: float) -> str:
    """`repr` of a float round-trips exactly; an int given for a float is stored as a float."""
    return repr(float(value))


# Per annotation of an `AgentPresence` field: (to text, from text).
_PRESENCE_CODECS: dict[str, tuple[Callable[[Any], str], Callable[[str], Any]]] = {
    "str": (str, str),
    "float": (_float_text, float),
    "int": (str, int),
    "bool": (_encode_bool, lambda text: text == "1"),
    "AgentState": (lambda state: str(state.value), AgentState),
}
_PRESENCE_FIELDS = [(f.name, _PRESENCE_CODECS[str(f.type)]) for f in fields(AgentPresence)]
_DECODERS = [(name, name.encode(), decode) for name, (_, decode) in _PRESENCE_FIELDS]
_AVAILABLE = AgentState.AVAILABLE.value
_RESERVED = AgentState.RESERVED.value
_CONTACT_FIELDS = [f.name for f in fields(WaitingContact) if f.name != "offered_to"]


def encode_presence(presence: AgentPresence) -> list[str]:
    """The presence as field/value pairs, flattened for HSET."""
    pairs: list[str] = []
    for name, (encode, _) in _PRESENCE_FIELDS:
        pairs += [name, encode(getattr(presence, name))]
    return pairs


def decode_presence(flat: Sequence[Reply]) -> AgentPresence:
    """The presence from a flat HGETALL reply (`encode_presence`'s output)."""
    pairs = iter(flat)
    stored: dict[Any, Reply] = dict(zip(pairs, pairs, strict=True))
    by_bytes = isinstance(flat[0], bytes)  # the field names come back as the client returns text
    return AgentPresence(
        **{name: dec(_text(stored[key if by_bytes else name])) for name, key, dec in _DECODERS}
    )


def encode_contact(contact: WaitingContact) -> str:
    """The contact but its `offered_to`, as JSON (floats written by `repr`: exact)."""
    data = {name: getattr(contact, name) for name in _CONTACT_FIELDS}
    return json.dumps(data, separators=(",", ":"))


def decode_contact(data: Reply, offered_to: Reply) -> WaitingContact:
    """The contact from its JSON and who it is offered to."""
    return WaitingContact(**json.loads(_text(data)), offered_to=_text(offered_to))


def queue_member(contact: WaitingContact) -> str:
    """The contact's sorted-set member: seq then call id, so equal scores keep arrival order."""
    return f"{contact.seq:0{SEQ_DIGITS}d}:{contact.call_id}"


def score_text(contact: WaitingContact) -> str:
    """The contact's score as Redis stores and compares it (-0.0 and 0.0 are one place)."""
    return _float_text(contact.score + 0.0)  # adding +0.0 turns -0.0 into 0.0


def check_orderable(contact: WaitingContact) -> None:
    """ValueError unless a sorted set can hold the contact in exactly `order_key()` order."""
    if not 0 <= contact.seq < SEQ_LIMIT:
        raise ValueError(
            f"call {contact.call_id}: seq {contact.seq} is outside 0..{SEQ_LIMIT - 1}; "
            "take it from next_seq()"
        )
    if math.isnan(contact.score):
        raise ValueError(f"call {contact.call_id}: score is NaN; give it a number")


# --- the store ------------------------------------------------------------------------------


class RedisStateStore:
    """The shared `StateStore` on one Redis server; safe to use from several processes."""

    def __init__(self, client: aioredis.Redis, prefix: str = "hotline") -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = False
        self._agents_key = f"{prefix}:agents"
        self._available_key = f"{prefix}:available"
        self._order_key = f"{prefix}:order"
        self._seq_key = f"{prefix}:seq"
        self._agent_prefix = f"{prefix}:agent:"
        self._contact_prefix = f"{prefix}:contact:"
        self._queue_prefix = f"{prefix}:queue:"
        script = client.register_script
        self._put_agent = script(_PUT_AGENT)
        self._reserve_agent = script(_RESERVE_AGENT)
        self._list_agents = script(_LIST_AGENTS)
        self._available_among = script(_AVAILABLE_AMONG)
        self._add_waiting = script(_ADD_WAITING)
        self._update_waiting = script(_UPDATE_WAITING)
        self._remove_waiting = script(_REMOVE_WAITING)
        self._head = script(_HEAD)
        self._firsts = script(_FIRSTS)
        self._position = script(_POSITION)
        self._claim_contact = script(_CLAIM_CONTACT)
        self._take_best = script(_TAKE_BEST)

    @classmethod
    def from_url(cls, url: str, prefix: str = "hotline") -> RedisStateStore:
        """A store on its own client for `url` (`redis://host:port/db`, `unix:///path.sock`)."""
        retry = Retry(EqualJitterBackoff(RECONNECT_CAP_S, RECONNECT_BASE_S), RECONNECT_RETRIES)
        store = cls(aioredis.Redis.from_url(url, retry=retry), prefix)
        store._owns_client = True
        return store

    @property
    def prefix(self) -> str:
        """The prefix of every key this store uses."""
        return self._prefix

    async def close(self) -> None:
        """Close the client's connections if this store made it (`from_url`)."""
        if self._owns_client:
            await self._client.aclose()

    # --- agents ---------------------------------------------------------------------------

    async def get_agent(self, agent_id: str) -> AgentPresence | None:
        """The agent's presence, or None if it was never stored."""
        flat = await self._client.hgetall(self._agent_prefix + agent_id)
        return decode_presence(_flatten(flat)) if flat else None

    async def put_agent(self, presence: AgentPresence) -> None:
        """Store an agent's presence (and keep the available set in step, atomically)."""
        agent_id = presence.agent_id
        available = _encode_bool(presence.state is AgentState.AVAILABLE)
        await self._put_agent(
            keys=[
                self._agent_prefix + agent_id,
                self._agents_key,
                self._available_key,
                self._order_key,
            ],
            args=[agent_id, available, *encode_presence(presence)],
        )

    async def agents(self) -> list[AgentPresence]:
        """Every stored agent, in the order they were first stored."""
        return await self._agents_in(self._agents_key)

    async def available_agents(self, among: Collection[str] | None = None) -> list[AgentPresence]:
        """Agents in AVAILABLE state, in the order they became available (only those in `among`).

        With `among`, only the ids of available agents are listed; presences are fetched just
        for those in `among`, so a queue's offer does not read every free agent of the center.
        """
        if among is None:
            return await self._agents_in(self._available_key)
        listed = cast(list[bytes | str], await self._client.zrange(self._available_key, 0, -1))
        ids = [_text(i) for i in listed]
        wanted = [agent_id for agent_id in ids if agent_id in among]
        if not wanted:
            return []
        replies = await self._available_among(
            keys=[self._available_key, self._agent_prefix], args=wanted
        )
        return [decode_presence(flat) for flat in replies]

    async def reserve_agent(self, agent_id: str, call_id: str, at: float) -> AgentPresence | None:
        """Atomically move an AVAILABLE agent to RESERVED for `call_id`; None if not available."""
        flat = await self._reserve_agent(
            keys=[self._agent_prefix + agent_id, self._available_key],
            args=[agent_id, _float_text(at), call_id, _AVAILABLE, _RESERVED],
        )
        return decode_presence(flat) if flat else None

    async def _agents_in(self, index_key: str) -> list[AgentPresence]:
        replies = await self._list_agents(keys=[index_key], args=[self._agent_prefix])
        return [decode_presence(flat) for flat in replies]

    # --- waiting contacts -----------------------------------------------------------------

    async def add_waiting(self, contact: WaitingContact) -> int:
        """Add a contact to its queue; returns its 1-based position (ValueError if it waits)."""
        check_orderable(contact)
        added, detail = await self._add_waiting(
            keys=[self._contact_prefix + contact.call_id, self._queue_prefix + contact.queue],
            args=[
                contact.queue,
                queue_member(contact),
                score_text(contact),
                encode_contact(contact),
                contact.offered_to,
            ],
        )
        if not added:
            raise ValueError(
                f"call {contact.call_id} is already waiting in {_text(detail)}; remove it first"
            )
        return int(detail)

    async def update_waiting(self, contact: WaitingContact) -> None:
        """Replace a waiting contact; KeyError if it does not wait, ValueError if it would move.

        A seq or score `add_waiting` refuses differs from the stored one, so it is a move too.
        """
        done = await self._update_waiting(
            keys=[self._contact_prefix + contact.call_id],
            args=[
                contact.queue,
                queue_member(contact),
                score_text(contact),
                encode_contact(contact),
                contact.offered_to,
            ],
        )
        if done == 0:
            raise KeyError(f"call {contact.call_id} is not waiting; add it first")
        if done < 0:
            raise ValueError("update_waiting cannot move a contact; remove and add it instead")

    async def remove_waiting(self, call_id: str) -> WaitingContact | None:
        """Take a contact out of its queue; None if it was not waiting."""
        reply = await self._remove_waiting(
            keys=[self._contact_prefix + call_id], args=[self._queue_prefix]
        )
        return decode_contact(*reply) if reply else None

    async def get_waiting(self, call_id: str) -> WaitingContact | None:
        """A waiting contact by call id."""
        data, offered_to = await self._client.hmget(
            self._contact_prefix + call_id, ["data", "offered_to"]
        )
        return None if data is None else decode_contact(data, offered_to or "")

    async def waiting(self, queue: str) -> list[WaitingContact]:
        """A queue's contacts in service order (one atomic snapshot; costly for long queues)."""
        return await self._range(queue, -1)

    async def head(self, queue: str, limit: int) -> list[WaitingContact]:
        """The first `limit` contacts in service order; a negative limit drops the last ones."""
        if limit == 0:  # ZRANGE 0 -1 would be the whole queue; a slice [:0] is nothing
            return []
        return await self._range(queue, limit - 1)

    async def firsts(self, queues: Sequence[str]) -> list[WaitingContact | None]:
        """The first contact of each queue not being offered (None where there is none), in one
        round trip."""
        if not queues:
            return []
        flat = await self._firsts(
            keys=[self._queue_prefix + q for q in queues], args=[self._contact_prefix, CALL_ID_AT]
        )
        return [
            decode_contact(data, offered) if _text(data) else None
            for data, offered in zip(flat[::2], flat[1::2], strict=True)
        ]

    async def position(self, call_id: str) -> int | None:
        """A waiting contact's 1-based position in its queue; None if it is not waiting."""
        rank = await self._position(
            keys=[self._contact_prefix + call_id], args=[self._queue_prefix]
        )
        return None if rank is None else int(rank)

    async def count_waiting(self, queue: str) -> int:
        """How many contacts wait in a queue."""
        return int(await self._client.zcard(self._queue_prefix + queue))

    async def claim_contact(self, call_id: str, expected: str, agent_id: str) -> bool:
        """Atomically set who the contact is offered to, if it is still `expected`."""
        done = await self._claim_contact(
            keys=[self._contact_prefix + call_id], args=[expected, agent_id]
        )
        return bool(done)

    async def take_best(
        self, presence: AgentPresence, choices: Sequence[QueueChoice], now: float
    ) -> tuple[WaitingContact, AgentPresence] | None:
        """Store the presence; claim the best contact for it and reserve it: one Lua script."""
        agent_id = presence.agent_id
        pairs = encode_presence(presence)
        per_queue = [item for c in choices for item in (str(c.priority), c.claim_as)]
        reply = await self._take_best(
            keys=[
                self._agent_prefix + agent_id,
                self._agents_key,
                self._available_key,
                self._order_key,
                *(self._queue_prefix + c.queue for c in choices),
            ],
            args=[
                agent_id,
                _encode_bool(presence.state is AgentState.AVAILABLE),
                _float_text(now),
                self._contact_prefix,
                CALL_ID_AT,
                len(pairs),
                *pairs,
                *per_queue,
                _RESERVED,
            ],
        )
        if not reply:
            return None
        data, offered_to, flat = reply
        return decode_contact(data, offered_to), decode_presence(flat)

    async def next_seq(self) -> int:
        """A number that increases with every call, across every process sharing the store."""
        return int(await self._client.incr(self._seq_key))

    async def _range(self, queue: str, stop: int) -> list[WaitingContact]:
        flat = await self._head(
            keys=[self._queue_prefix + queue],
            args=[self._contact_prefix, stop, CALL_ID_AT],
        )
        return [decode_contact(d, o) for d, o in zip(flat[::2], flat[1::2], strict=True)]


def _flatten(reply: Mapping[Reply, Reply] | Sequence[Reply]) -> list[Reply]:
    """HGETALL's reply as a flat list, whether the client parsed it into a dict or not."""
    if isinstance(reply, Mapping):
        return [item for pair in reply.items() for item in pair]
    return list(reply)
