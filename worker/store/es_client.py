"""The one place the Elasticsearch client is built, from ``settings.es``."""

from __future__ import annotations

import re

from elastic_transport import BaseNode
from elasticsearch import Elasticsearch

from ..errors import ConfigError
from ..settings import ElasticsearchSettings, redact_url


def hosts(url: str) -> list[str]:
    """``NEWSWORKER_ES__URL`` as a list: one URL, or several separated by commas."""
    found = [part.strip() for part in url.split(",") if part.strip()]
    if not found:
        raise ConfigError("NEWSWORKER_ES__URL is empty; set it to the cluster's URL, e.g. http://localhost:9200")
    return found


def where(es: ElasticsearchSettings) -> str:
    """The cluster's URLs with passwords masked: the only form that goes into messages and logs."""
    return ", ".join(_masked(h) for h in hosts(es.url))


def make_client(es: ElasticsearchSettings, node_class: type[BaseNode] | None = None) -> Elasticsearch:
    """A client for ``es``; ``node_class`` replaces the HTTP node (tests rewrite media types with it)."""
    options: dict[str, object] = {
        "verify_certs": es.verify_certs,
        "request_timeout": es.request_timeout,
        "max_retries": es.max_retries,
        "retry_on_timeout": es.retry_on_timeout,
    }
    if es.api_key:
        options["api_key"] = es.api_key
    elif es.username:
        options["basic_auth"] = (es.username, es.password)
    if es.ca_certs is not None:
        if not es.ca_certs.is_file():
            raise ConfigError(f"NEWSWORKER_ES__CA_CERTS names {es.ca_certs}, which is not a readable file")
        options["ca_certs"] = str(es.ca_certs)
    if node_class is not None:
        options["node_class"] = node_class
    try:
        return Elasticsearch(hosts(es.url), **options)
    except ValueError as exc:
        raise ConfigError(f"NEWSWORKER_ES__URL ({where(es)}) is not usable: {exc}") from None


def _masked(url: str) -> str:
    # redact_url needs a scheme; a URL typed without one still must not show its password.
    return _USERINFO.sub(r"\1:***@", redact_url(url))


_USERINFO = re.compile(r"^((?:[a-z][a-z0-9+.-]*://)?[^:/@\s]+):(?!\*\*\*@)[^@/\s]*@", re.IGNORECASE)
