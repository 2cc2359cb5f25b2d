"""Opportunities over HTTP: list, create, read, update, move the stage, history, stall alerts,
the weighted pipeline per owner, and the stage configuration (admins edit it).

    GET  /api/opportunities?customer_id=&owner_user_id=&open_only=   POST /api/opportunities
    GET  /api/opportunities/stalled            GET  /api/opportunities/pipeline
    GET  /api/opportunities/{id}               PATCH /api/opportunities/{id}
    POST /api/opportunities/{id}/stage         GET  /api/opportunities/{id}/history
    GET  /api/pipeline                         PUT  /api/pipeline

An opportunity is visible exactly when its customer is; its owner, supervisors and admins change
it. Errors: see `agent_ui.service_deps`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from agent_ui.deps import AdminUser, CurrentUser
from agent_ui.service_deps import CrmSettings, Opportunities, service_errors
from agent_ui.service_schemas import (
    OpportunityCreate,
    OpportunityOut,
    OpportunityPageOut,
    OpportunityUpdate,
    OwnerPipelineOut,
    PipelineIn,
    PipelineOut,
    StageChangeOut,
    StageMoveIn,
    StallAlertOut,
)
from crm_core.opportunities import PAGE_MAX, OpportunityQuery

router = APIRouter(tags=["opportunities"])


@router.get("/api/opportunities")
def list_opportunities(
    user: CurrentUser,
    opportunities: Opportunities,
    customer_id: int | None = None,
    owner_user_id: int | None = None,
    open_only: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> OpportunityPageOut:
    """The opportunities the user may see, matching every given filter, newest first."""
    query = OpportunityQuery(customer_id, owner_user_id, open_only, offset, limit)
    return OpportunityPageOut.model_validate(opportunities.list_opportunities(user, query))


@router.post("/api/opportunities", status_code=status.HTTP_201_CREATED)
def create_opportunity(
    body: OpportunityCreate, user: CurrentUser, opportunities: Opportunities
) -> OpportunityOut:
    """A new opportunity for a customer the user can see."""
    with service_errors():
        return OpportunityOut.model_validate(opportunities.create(user, body.to_draft()))


@router.get("/api/opportunities/stalled")
def stalled_opportunities(user: CurrentUser, opportunities: Opportunities) -> list[StallAlertOut]:
    """Open opportunities whose stage has not moved for the configured weeks."""
    return [StallAlertOut.model_validate(a) for a in opportunities.stall_alerts(user)]


@router.get("/api/opportunities/pipeline")
def weighted_pipeline(user: CurrentUser, opportunities: Opportunities) -> list[OwnerPipelineOut]:
    """The open pipeline per owner: count, amount and expected value."""
    return [OwnerPipelineOut.model_validate(row) for row in opportunities.pipeline(user)]


@router.get("/api/opportunities/{opportunity_id}")
def get_opportunity(
    opportunity_id: int, user: CurrentUser, opportunities: Opportunities
) -> OpportunityOut:
    """One opportunity."""
    with service_errors():
        return OpportunityOut.model_validate(opportunities.get(user, opportunity_id))


@router.patch("/api/opportunities/{opportunity_id}")
def update_opportunity(
    opportunity_id: int, body: OpportunityUpdate, user: CurrentUser, opportunities: Opportunities
) -> OpportunityOut:
    """Change the title or amount."""
    with service_errors():
        view = opportunities.update(user, opportunity_id, title=body.title, amount=body.amount)
        return OpportunityOut.model_validate(view)


@router.post("/api/opportunities/{opportunity_id}/stage")
def move_stage(
    opportunity_id: int, body: StageMoveIn, user: CurrentUser, opportunities: Opportunities
) -> OpportunityOut:
    """Move the opportunity to another stage (0 lost, 9 won)."""
    with service_errors():
        view = opportunities.move_stage(user, opportunity_id, body.stage, body.note)
        return OpportunityOut.model_validate(view)


@router.get("/api/opportunities/{opportunity_id}/history")
def opportunity_history(
    opportunity_id: int, user: CurrentUser, opportunities: Opportunities
) -> list[StageChangeOut]:
    """The opportunity's stage changes, oldest first."""
    with service_errors():
        return [
            StageChangeOut.model_validate(c) for c in opportunities.history(user, opportunity_id)
        ]


@router.get("/api/pipeline")
def pipeline_settings(_user: CurrentUser, settings: CrmSettings) -> PipelineOut:
    """The stages (names, probabilities) and the stall weeks in force."""
    return PipelineOut.model_validate(settings.pipeline())


@router.put("/api/pipeline")
def put_pipeline_settings(body: PipelineIn, admin: AdminUser, settings: CrmSettings) -> PipelineOut:
    """Replace the stage names, probabilities and stall weeks (admins)."""
    with service_errors():
        return PipelineOut.model_validate(settings.set_pipeline(admin, body.to_config()))
