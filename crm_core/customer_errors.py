"""Domain errors of the customer services (the routes turn them into HTTP answers)."""

from __future__ import annotations


class CustomerNotFound(LookupError):
    """No such customer, or not one the viewer may see (the two are not told apart)."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"no customer {customer_id}")
        self.customer_id = customer_id


class NotAllowed(PermissionError):
    """The user's role or relation to the customer does not allow this change."""


class DepartmentNotFound(LookupError):
    """No department has that id."""


class CustomerUserNotFound(LookupError):
    """A user named as owner, member or transfer target does not exist or is inactive."""
