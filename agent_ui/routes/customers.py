"""Customers over HTTP: list and search, read, create (409 names the owner of a duplicate),
update, share, timeline and notes, screen-pop lookup by number, transfer and merge.

    GET    /api/customers?q=&name=&phone=&email=&tag=&offset=&limit=
    POST   /api/customers                        PATCH /api/customers/{id}
    GET    /api/customers/{id}                   GET   /api/customers/{id}/timeline?before=
    POST   /api/customers/{id}/notes             POST  /api/customers/{id}/shares
    DELETE /api/customers/{id}/shares/{dept}     GET   /api/customers/by-number/{ani}
    POST   /api/customers/transfer               POST  /api/customers/merge

Every read applies the user's visibility in the database; a customer the user may not see
answers 404 exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse

from agent_ui.crm_schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPageOut,
    CustomerUpdate,
    DuplicateMatchOut,
    DuplicateOut,
    MergeIn,
    MergeOut,
    ShareIn,
    TransferIn,
    TransferOut,
)
from agent_ui.deps import ContextDep, CurrentUser, SupervisorUser
from agent_ui.timeline_schemas import (
    NoteIn,
    ScreenPopOut,
    TimelineItemOut,
    TimelinePageOut,
    decode_cursor,
)
from crm_core.caller_lookup import lookup_caller
from crm_core.customer_errors import (
    CustomerNotFound,
    CustomerUserNotFound,
    DepartmentNotFound,
    NotAllowed,
)
from crm_core.customer_merge import CustomerMergeService
from crm_core.customer_search import QUERY_MAX, CustomerQuery
from crm_core.customer_transfer import CustomerTransferService
from crm_core.customers import PAGE_MAX, CustomerService
from crm_core.duplicates import DuplicateCustomer
from crm_core.ticket_store import open_tickets_of
from crm_core.timeline import TimelineService

UNPROCESSABLE = 422  # by number: Starlette renamed its constant across versions
CUSTOMER_NOT_FOUND = "customer not found"
NUMBER_NOT_FOUND = "no customer with this number"
TIMELINE_PAGE_MAX = 200

router = APIRouter(prefix="/api/customers", tags=["customers"])


def customer_service(context: ContextDep) -> CustomerService:
    """The customer service on the app's database and center region."""
    return CustomerService(context.sessions, context.clock, context.center.center.default_region)


Customers = Annotated[CustomerService, Depends(customer_service)]
SearchText = Annotated[str | None, Query(max_length=QUERY_MAX)]


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the services' domain errors into HTTP answers."""
    try:
        yield
    except (CustomerNotFound, DepartmentNotFound) as exc:
        detail = CUSTOMER_NOT_FOUND if isinstance(exc, CustomerNotFound) else str(exc)
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail) from exc
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    except (ValueError, CustomerUserNotFound) as exc:
        # InvalidCustomer, bad search filters, cursors, notes, transfers and merges.
        raise HTTPException(UNPROCESSABLE, detail=str(exc)) from exc


def _duplicate(exc: DuplicateCustomer) -> JSONResponse:
    body = DuplicateOut(detail=str(exc), matches=[DuplicateMatchOut.of(m) for m in exc.matches])
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_409_CONFLICT)


_DUPLICATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: {"model": DuplicateOut, "description": "the customer exists; the owner is named"}
}


@router.get("")
def list_customers(
    user: CurrentUser,
    customers: Customers,
    q: SearchText = None,
    name: SearchText = None,
    phone: SearchText = None,
    email: SearchText = None,
    tag: SearchText = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> CustomerPageOut:
    """The customers the user may see, matching every given filter, most recently updated first."""
    query = CustomerQuery(text=q, name=name, phone=phone, email=email, tag=tag)
    with domain_errors():
        return CustomerPageOut.of(customers.search(user, query, offset=offset, limit=limit))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerOut,
    responses=_DUPLICATE_RESPONSE,
)
def create_customer(body: CustomerCreate, user: CurrentUser, customers: Customers) -> Any:
    """Add a customer; 409 names the owner of an existing one with the same phone, email or name."""
    with domain_errors():
        try:
            detail = customers.create(
                user, body.to_draft(), override_duplicates=body.override_duplicates
            )
        except DuplicateCustomer as exc:
            return _duplicate(exc)
    return CustomerOut.of_detail(detail)


@router.get("/by-number/{ani}")
def customer_by_number(ani: str, user: CurrentUser, context: ContextDep) -> ScreenPopOut:
    """The screen-pop for a caller's number, in any common format; 404 if none the user sees."""
    region = context.center.center.default_region
    pop = lookup_caller(context.sessions, ani, region, viewer=user, open_tickets=open_tickets_of)
    if pop is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NUMBER_NOT_FOUND)
    return ScreenPopOut.of(pop)


@router.post("/transfer")
def transfer_customers(body: TransferIn, user: SupervisorUser, context: ContextDep) -> TransferOut:
    """Give all (or the listed) customers of one user to another, audited."""
    service = CustomerTransferService(context.sessions, context.clock)
    with domain_errors():
        result = service.transfer(user, body.from_user_id, body.to_user_id, body.customer_ids)
    return TransferOut(
        from_user_id=result.from_user_id,
        to_user_id=result.to_user_id,
        customer_ids=list(result.customer_ids),
        audit_id=result.audit_id,
    )


@router.post("/merge")
def merge_customers(body: MergeIn, user: SupervisorUser, context: ContextDep) -> MergeOut:
    """Merge a duplicate into the customer to keep; both timelines are kept, audited."""
    service = CustomerMergeService(context.sessions, context.clock)
    with domain_errors():
        result = service.merge(user, body.keep_id, body.merge_id)
    kept = CustomerOut.of_detail(result.kept)
    return MergeOut(kept=kept, merged_id=result.merged_id, audit_id=result.audit_id)


@router.get("/{customer_id:int}")
def get_customer(customer_id: int, user: CurrentUser, customers: Customers) -> CustomerOut:
    """One customer with its phones, emails, contacts and shares."""
    with domain_errors():
        return CustomerOut.of_detail(customers.get(user, customer_id))


@router.patch("/{customer_id:int}", response_model=CustomerOut, responses=_DUPLICATE_RESPONSE)
def update_customer(
    customer_id: int, body: CustomerUpdate, user: CurrentUser, customers: Customers
) -> Any:
    """Change fields of a customer; phones or emails given replace the old ones."""
    with domain_errors():
        try:
            detail = customers.update(
                user, customer_id, body.to_changes(), override_duplicates=body.override_duplicates
            )
        except DuplicateCustomer as exc:
            return _duplicate(exc)
    return CustomerOut.of_detail(detail)


@router.post("/{customer_id:int}/shares")
def share_customer(
    customer_id: int, body: ShareIn, user: CurrentUser, customers: Customers
) -> CustomerOut:
    """Share the customer with a department (its owner, a supervisor or an admin)."""
    with domain_errors():
        return CustomerOut.of_detail(customers.share(user, customer_id, body.department_id))


@router.delete("/{customer_id:int}/shares/{department_id:int}")
def unshare_customer(
    customer_id: int, department_id: int, user: CurrentUser, customers: Customers
) -> CustomerOut:
    """Stop sharing the customer with a department."""
    with domain_errors():
        return CustomerOut.of_detail(customers.unshare(user, customer_id, department_id))


@router.get("/{customer_id:int}/timeline")
def customer_timeline(
    customer_id: int,
    user: CurrentUser,
    context: ContextDep,
    before: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=TIMELINE_PAGE_MAX)] = 50,
) -> TimelinePageOut:
    """The customer's timeline, newest first; `before` is the `next` of the previous page."""
    service = TimelineService(context.sessions, context.clock)
    with domain_errors():
        cursor = None if before is None else decode_cursor(before)
        return TimelinePageOut.of(service.read(user, customer_id, limit=limit, before=cursor))


@router.post("/{customer_id:int}/notes", status_code=status.HTTP_201_CREATED)
def add_note(
    customer_id: int, body: NoteIn, user: CurrentUser, context: ContextDep
) -> TimelineItemOut:
    """Add a note to the customer's timeline."""
    service = TimelineService(context.sessions, context.clock)
    with domain_errors():
        return TimelineItemOut.of(service.add_note(user, customer_id, body.text))
