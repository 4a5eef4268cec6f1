"""Turn a database constraint violation into the domain error that names it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from connect_id.errors import DomainError


@contextmanager
def constraint_errors(mapping: dict[str, type[DomainError]]) -> Iterator[None]:
    """Run the block in a savepoint; re-raise a named constraint's violation as its DomainError.

    The services check the rules first to give a clear error; this catches the race where two
    transactions pass the check at once and the database constraint decides.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        name = getattr(diag, "constraint_name", None)
        if name in mapping:
            raise mapping[name]() from None
        raise
