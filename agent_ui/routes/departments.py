"""Departments over HTTP: anyone signed in lists them (to share customers); admins manage them.

GET  /api/departments               POST   /api/departments
POST /api/departments/{id}/members  DELETE /api/departments/{id}/members/{user_id}
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from agent_ui.crm_schemas import DepartmentIn, DepartmentOut, MemberIn
from agent_ui.deps import AdminUser, ContextDep, CurrentUser
from agent_ui.routes.customers import domain_errors
from crm_core.departments import DepartmentExists, DepartmentService

router = APIRouter(prefix="/api/departments", tags=["departments"])


def _service(context: ContextDep) -> DepartmentService:
    return DepartmentService(context.sessions, context.clock)


@router.get("")
def list_departments(_user: CurrentUser, context: ContextDep) -> list[DepartmentOut]:
    """Every department, by name, with its members."""
    return [DepartmentOut.of(d) for d in _service(context).list_departments()]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_department(body: DepartmentIn, _admin: AdminUser, context: ContextDep) -> DepartmentOut:
    """A new department (admins); 409 if the name is taken."""
    with domain_errors():
        try:
            return DepartmentOut.of(_service(context).create(body.name))
        except DepartmentExists as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.post("/{department_id}/members")
def add_member(
    department_id: int, body: MemberIn, _admin: AdminUser, context: ContextDep
) -> DepartmentOut:
    """Put a user in a department (admins)."""
    with domain_errors():
        return DepartmentOut.of(_service(context).add_member(department_id, body.user_id))


@router.delete("/{department_id}/members/{user_id}")
def remove_member(
    department_id: int, user_id: int, _admin: AdminUser, context: ContextDep
) -> DepartmentOut:
    """Take a user out of a department (admins)."""
    with domain_errors():
        return DepartmentOut.of(_service(context).remove_member(department_id, user_id))
