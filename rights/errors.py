"""The expected failures of Rights Management, each with a stable code."""

from __future__ import annotations

from connect_id.errors import Conflict, DomainError, NotFound


class TimeSpecInvalid(DomainError):
    code = "time_spec_invalid"
    message = (
        "A time spec is an ISO 8601 interval (start/end, start/P2D), a duration from now (P2D), "
        "or a repeating interval (R/start/P1M, R//P1M); times carry Z or an offset."
    )


class TimeIntervalEmpty(DomainError):
    code = "time_interval_empty"
    message = "The interval must end after it starts."


class TimeSpecNotRepeating(DomainError):
    code = "time_spec_not_repeating"
    message = "A subscription needs a repeating time spec, e.g. R//P1M."


class RightsSpecInvalid(DomainError):
    code = "rights_spec_invalid"
    message = "rightsSpec is a non-empty list of {sku, timeSpec?} with distinct SKUs."


class RightNotFound(NotFound):
    code = "right_not_found"
    message = "No such right on this user."


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    message = "No such subscription on this user."


class GrantorRequired(DomainError):
    """Only a credential bound to a grantor may grant (spec §4)."""

    code = "grantor_required"
    status = 403
    message = "These API credentials are bound to no grantor, so they cannot grant rights."


class GrantorMismatch(DomainError):
    code = "grantor_mismatch"
    status = 403
    message = "These API credentials act for another grantor."


class RightExpired(Conflict):
    code = "right_expired"
    message = "The right has expired; an expired right cannot change."


class RightNotActive(Conflict):
    code = "right_not_active"
    message = "Only an ACTIVE right, inside its time interval, can be used."


class RightAlreadyUsed(Conflict):
    code = "right_already_used"
    message = "The right is already used."


class SubscriptionExpired(Conflict):
    code = "subscription_expired"
    message = "The subscription has expired; it cannot be changed or reactivated."


class StateChangeInvalid(DomainError):
    code = "state_invalid"
    message = "The state can be set to ACTIVE or SUSPENDED."
