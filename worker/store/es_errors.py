"""Client exceptions -> the store's typed errors, with what to do and never a password.

TransientStoreError: the cluster is unreachable or overloaded; the task retries later.
StoreError: the cluster refused for a reason a retry will not fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    ConnectionError,
    SSLError,
    TransportError,
    UnsupportedProductError,
)

from ..errors import StoreError, TransientStoreError

# Statuses that mean "busy or briefly unavailable": the same request can succeed later.
TRANSIENT_STATUS = frozenset({429, 502, 503, 504})


@contextmanager
def translated(action: str, where: str) -> Iterator[None]:
    """Run a client call; its exceptions leave as StoreError / TransientStoreError naming ``action``."""
    try:
        yield
    except SSLError as exc:
        raise StoreError(
            f"TLS to Elasticsearch at {where} failed while {action}: {exc.message}; "
            "check NEWSWORKER_ES__CA_CERTS and NEWSWORKER_ES__VERIFY_CERTS"
        ) from None
    except ConnectionError as exc:
        raise TransientStoreError(
            f"Elasticsearch at {where} is unreachable while {action}: {exc.message}; "
            "check NEWSWORKER_ES__URL and that the cluster is up"
        ) from None
    except UnsupportedProductError:
        raise StoreError(f"the server at {where} is not Elasticsearch (checked while {action})") from None
    except (AuthenticationException, AuthorizationException) as exc:
        raise StoreError(
            f"Elasticsearch at {where} refused the credentials while {action} ({exc.status_code} {reason(exc.body)}); "
            "check NEWSWORKER_ES__API_KEY or NEWSWORKER_ES__USERNAME / __PASSWORD and the user's privileges"
        ) from None
    except ApiError as exc:
        if exc.status_code in TRANSIENT_STATUS:
            raise TransientStoreError(
                f"Elasticsearch at {where} is busy while {action} ({exc.status_code} {reason(exc.body)})"
            ) from None
        raise StoreError(f"Elasticsearch refused {action}: {exc.status_code} {reason(exc.body)}") from None
    except TransportError as exc:
        raise TransientStoreError(f"Elasticsearch at {where} failed while {action}: {exc.message}") from None


def reason(error: Any) -> str:
    """One line from an error body or a bulk item's ``error``: type, reason and their causes."""
    if isinstance(error, dict) and "error" in error:
        error = error["error"]
    parts: list[str] = []
    while isinstance(error, dict) and len(parts) < 4:
        kind, text = error.get("type"), error.get("reason")
        parts.append(": ".join(str(p) for p in (kind, text) if p))
        error = error.get("caused_by")
    if error is not None and not isinstance(error, dict):
        parts.append(str(error))
    return "; caused by ".join(p for p in parts if p) or "no reason given"
