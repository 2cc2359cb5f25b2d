"""Liveness (`/healthz`, no login) and Prometheus metrics (`/metrics`, admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from agent_ui.deps import AdminUser, ContextDep
from agent_ui.metrics import METRICS_CONTENT_TYPE
from agent_ui.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"model": HealthOut, "description": "database down"}})
def healthz(context: ContextDep, response: Response) -> HealthOut:
    """200 when the server and its database answer; 503 when the database does not."""
    try:
        with context.sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthOut(status="degraded", database="unreachable")
    return HealthOut(status="ok", database="ok")


@router.get("/metrics", response_class=Response)
def metrics(_admin: AdminUser, context: ContextDep) -> Response:
    """The app's metrics in the Prometheus text format."""
    return Response(context.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)
