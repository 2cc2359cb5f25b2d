"""The settings of the service desk and sales, kept in the database so admins edit them live:
SLA policies, pipeline stage names and probabilities, stall weeks, key-account rules.

Nothing stored means the documented defaults (`crm_core.sla.DEFAULT_POLICY`,
`crm_core.pipeline.PipelineConfig()`, `crm_core.key_accounts.KeyAccountConfig()`). Only admins
change settings; every change is audited in the same transaction. The `load_*` functions read
inside a caller's session, so the ticket, opportunity and order services see one consistent state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.audit import record_audit
from crm_core.key_accounts import KeyAccountConfig
from crm_core.pipeline import PipelineConfig, StageDef
from crm_core.service_errors import NotPermitted
from crm_core.service_models import CrmSetting, PipelineStageRow, SlaPolicyRow
from crm_core.sla import SlaPolicy
from crm_core.users import Role
from crm_core.visibility import Viewer

STALL_WEEKS = "pipeline.stall_weeks"
FALLING_MONTHS = "key_accounts.falling_months"
TOP_SHARE = "key_accounts.top_share"
MIN_VOLUME = "key_accounts.min_volume"
TRAILING_MONTHS = "key_accounts.trailing_months"
MINUTE = timedelta(minutes=1)


class SlaPolicyNotFound(LookupError):
    """No SLA policy for that category and priority."""


def _minutes(delta: timedelta) -> int:
    if delta % MINUTE:
        raise ValueError("SLA targets are whole minutes")
    return delta // MINUTE


def _policy(row: SlaPolicyRow) -> SlaPolicy:
    response = None if row.response_minutes is None else row.response_minutes * MINUTE
    return SlaPolicy(
        category=row.category,
        priority=row.priority,
        resolution=row.resolution_minutes * MINUTE,
        response=response,
        business_hours=row.business_hours,
    )


def load_sla_policies(session: Session) -> list[SlaPolicy]:
    """Every SLA policy, by category and priority."""
    rows = session.scalars(
        select(SlaPolicyRow).order_by(SlaPolicyRow.category, SlaPolicyRow.priority)
    )
    return [_policy(row) for row in rows]


def _settings(session: Session) -> dict[str, str]:
    return {row.key: row.value for row in session.scalars(select(CrmSetting))}


def _read(values: Mapping[str, str], key: str, parse: Callable[[str], Any], default: Any) -> Any:
    if key not in values:
        return default
    try:
        return parse(values[key])
    except (ValueError, InvalidOperation) as exc:
        raise ValueError(f"stored setting {key} = {values[key]!r} is not valid") from exc


def load_pipeline_config(session: Session) -> PipelineConfig:
    """The pipeline stages (stored overrides over the defaults) and stall weeks."""
    default = PipelineConfig()
    stored = {row.stage: row for row in session.scalars(select(PipelineStageRow))}
    stages = tuple(
        StageDef(s.stage, stored[s.stage].name, stored[s.stage].probability)
        if s.stage in stored
        else s
        for s in default.stages
    )
    weeks = _read(_settings(session), STALL_WEEKS, int, default.stall_weeks)
    return PipelineConfig(stages, weeks)


def load_key_account_config(session: Session) -> KeyAccountConfig:
    """The key-account rules (stored values over the defaults)."""
    values = _settings(session)
    default = KeyAccountConfig()
    return KeyAccountConfig(
        falling_months=_read(values, FALLING_MONTHS, int, default.falling_months),
        top_share=_read(values, TOP_SHARE, Decimal, default.top_share),
        min_volume=_read(values, MIN_VOLUME, _optional_decimal, default.min_volume),
        trailing_months=_read(values, TRAILING_MONTHS, int, default.trailing_months),
    )


def _optional_decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class ServiceSettingsService:
    """Reads settings for anyone; lets admins change them (audited)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def sla_policies(self) -> list[SlaPolicy]:
        """Every stored SLA policy."""
        with self._sessions() as session:
            return load_sla_policies(session)

    def put_sla_policy(self, actor: Viewer, policy: SlaPolicy) -> SlaPolicy:
        """Add the policy, or replace the one with the same category and priority."""
        _require_admin(actor)
        resolution = _minutes(policy.resolution)
        response = None if policy.response is None else _minutes(policy.response)
        now = self._now()
        with self._sessions.begin() as session:
            row = session.scalar(
                select(SlaPolicyRow).where(
                    SlaPolicyRow.category == policy.category,
                    SlaPolicyRow.priority == policy.priority,
                )
            )
            if row is None:
                row = SlaPolicyRow(category=policy.category, priority=policy.priority)
                session.add(row)
            row.resolution_minutes = resolution
            row.response_minutes = response
            row.business_hours = policy.business_hours
            row.updated_at = now
            self._audit(session, actor, "settings.sla_policy.put", _policy_data(policy))
            return _policy(row)

    def delete_sla_policy(self, actor: Viewer, category: str, priority: str) -> None:
        """Remove a policy; SlaPolicyNotFound if there is none for that key."""
        _require_admin(actor)
        with self._sessions.begin() as session:
            removed = session.execute(
                delete(SlaPolicyRow).where(
                    SlaPolicyRow.category == category, SlaPolicyRow.priority == priority
                )
            )
            if not removed.rowcount:  # type: ignore[attr-defined]
                raise SlaPolicyNotFound(f"no SLA policy for {category!r}/{priority!r}")
            data = {"category": category, "priority": priority}
            self._audit(session, actor, "settings.sla_policy.delete", data)

    def pipeline(self) -> PipelineConfig:
        """The pipeline configuration in force."""
        with self._sessions() as session:
            return load_pipeline_config(session)

    def set_pipeline(self, actor: Viewer, config: PipelineConfig) -> PipelineConfig:
        """Store every stage's name and probability, and the stall weeks."""
        _require_admin(actor)
        with self._sessions.begin() as session:
            for stage in config.stages:
                row = session.get(PipelineStageRow, stage.stage)
                if row is None:
                    row = PipelineStageRow(stage=stage.stage)
                    session.add(row)
                row.name = stage.name
                row.probability = stage.probability
            self._store(session, actor, {STALL_WEEKS: str(config.stall_weeks)})
            data = {
                "stages": {str(s.stage): [s.name, s.probability] for s in config.stages},
                "stall_weeks": config.stall_weeks,
            }
            self._audit(session, actor, "settings.pipeline", data)
            return load_pipeline_config(session)

    def key_accounts(self) -> KeyAccountConfig:
        """The key-account rules in force."""
        with self._sessions() as session:
            return load_key_account_config(session)

    def set_key_accounts(self, actor: Viewer, config: KeyAccountConfig) -> KeyAccountConfig:
        """Store the key-account rules."""
        _require_admin(actor)
        values = {
            FALLING_MONTHS: str(config.falling_months),
            TOP_SHARE: str(config.top_share),
            MIN_VOLUME: "" if config.min_volume is None else str(config.min_volume),
            TRAILING_MONTHS: str(config.trailing_months),
        }
        with self._sessions.begin() as session:
            self._store(session, actor, values)
            self._audit(session, actor, "settings.key_accounts", dict(values))
            return load_key_account_config(session)

    def _store(self, session: Session, actor: Viewer, values: Mapping[str, str]) -> None:
        now = self._now()
        for key, value in values.items():
            row = session.get(CrmSetting, key)
            if row is None:
                row = CrmSetting(key=key)
                session.add(row)
            row.value = value
            row.updated_at = now
            row.updated_by_user_id = actor.id

    def _audit(self, session: Session, actor: Viewer, action: str, data: dict[str, Any]) -> None:
        record_audit(session, at=self._now(), actor_user_id=actor.id, action=action, data=data)

    def _now(self) -> datetime:
        return to_datetime(self._clock.now())


def _require_admin(actor: Viewer) -> None:
    if actor.role != Role.ADMIN:
        raise NotPermitted("only admins change service-desk and sales settings")


def _policy_data(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "category": policy.category,
        "priority": policy.priority,
        "resolution_minutes": _minutes(policy.resolution),
        "response_minutes": None if policy.response is None else _minutes(policy.response),
        "business_hours": policy.business_hours,
    }
