"""Orders over HTTP: list, add, import a CSV/XLSX file, key-account alerts and their settings.

    GET  /api/orders?customer_id=&from=&to=     POST /api/orders
    POST /api/orders/import   (multipart file; supervisors and admins)
    GET  /api/orders/key-account-alerts
    GET  /api/key-accounts/settings             PUT  /api/key-accounts/settings (admins)

An order is visible exactly when its customer is; an import by a user finds only customers that
user can see. Errors: see `agent_ui.service_deps`.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, UploadFile, status

from agent_ui.deps import AdminUser, ContextDep, CurrentUser, SupervisorUser
from agent_ui.service_deps import (
    UNPROCESSABLE,
    CrmSettings,
    Orders,
    center_today,
    service_errors,
)
from agent_ui.service_schemas import (
    ImportReportOut,
    KeyAccountAlertOut,
    KeyAccountSettings,
    OrderCreate,
    OrderOut,
    OrderPageOut,
)
from crm_core.import_source import ImportSourceError
from crm_core.order_rows import OrderFileError
from crm_core.orders import PAGE_MAX

UPLOAD_MAX_BYTES = 50 * 1024 * 1024
SUFFIXES = (".csv", ".txt", ".xlsx")

router = APIRouter(tags=["orders"])


@router.get("/api/orders")
def list_orders(
    user: CurrentUser,
    orders: Orders,
    customer_id: int | None = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> OrderPageOut:
    """The orders the user may see (of a customer, between two days), newest first."""
    page = orders.list_orders(
        user, customer_id=customer_id, first=first, last=last, offset=offset, limit=limit
    )
    return OrderPageOut.model_validate(page)


@router.post("/api/orders", status_code=status.HTTP_201_CREATED)
def add_order(body: OrderCreate, user: CurrentUser, orders: Orders) -> OrderOut:
    """Add an order for a customer the user can see (409 if the order number is taken)."""
    with service_errors():
        return OrderOut.model_validate(orders.add(user, body.to_draft()))


@router.post("/api/orders/import")
def import_orders(file: UploadFile, user: SupervisorUser, orders: Orders) -> ImportReportOut:
    """Import a CSV or XLSX file of orders; the report lists the rows not imported and why."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise HTTPException(UNPROCESSABLE, detail=f"send a {', '.join(SUFFIXES)} file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"orders{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        if path.stat().st_size > UPLOAD_MAX_BYTES:
            raise HTTPException(UNPROCESSABLE, detail="the file is larger than 50 MB")
        try:
            report = orders.import_file(user, path)
        except (ImportSourceError, OrderFileError) as exc:
            raise HTTPException(UNPROCESSABLE, detail=str(exc)) from exc
    return ImportReportOut.model_validate(report)


@router.get("/api/orders/key-account-alerts")
def key_account_alerts(
    user: CurrentUser, orders: Orders, context: ContextDep
) -> list[KeyAccountAlertOut]:
    """Key accounts whose monthly volume has fallen for the configured months running."""
    alerts = orders.key_account_alerts(user, center_today(context))
    return [KeyAccountAlertOut.model_validate(alert) for alert in alerts]


@router.get("/api/key-accounts/settings")
def key_account_settings(_user: CurrentUser, settings: CrmSettings) -> KeyAccountSettings:
    """The key-account rules in force."""
    return KeyAccountSettings.model_validate(settings.key_accounts())


@router.put("/api/key-accounts/settings")
def put_key_account_settings(
    body: KeyAccountSettings, admin: AdminUser, settings: CrmSettings
) -> KeyAccountSettings:
    """Replace the key-account rules (admins)."""
    with service_errors():
        stored = settings.set_key_accounts(admin, body.to_config())
    return KeyAccountSettings.model_validate(stored)
