"""Customer export over HTTP: what the signed-in user may see, as CSV or XLSX.

    GET /api/customers/export?format=csv     (UTF-8 with BOM, formula-safe, streamed)
    GET /api/customers/export?format=xlsx    (written to a temp file, then streamed from disk)

Any signed-in user may export; the query applies their visibility (an agent gets their own
customers, the shared pool and their departments' shares), so the file never holds more than
the customer list shows them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from agent_ui.deps import ContextDep, CurrentUser
from crm_core.customer_export import csv_chunks, export_rows, write_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FILE_STEM = "hotline-customers"

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.get("/export")
def export_customers(
    user: CurrentUser,
    context: ContextDep,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    """The customers the user may see, as a CSV or XLSX download."""
    rows = export_rows(context.sessions, user)
    if fmt == "csv":
        return StreamingResponse(
            csv_chunks(rows),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{FILE_STEM}.csv"'},
        )
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        write_xlsx(rows, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        filename=f"{FILE_STEM}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
