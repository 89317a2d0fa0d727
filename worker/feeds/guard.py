"""The private-address guard: a feed must not make the worker fetch from inside the network.

Checked on the addresses a host name resolves to (not the name), for every connection the
fetcher opens, so for every URL and every redirect hop; the connection then goes to the
address that was checked (transport.py), never to a second resolution of the name.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from .errors import FetchError, GuardError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    ) and address.is_global


@lru_cache(maxsize=64)
def _allowed(entries: tuple[str, ...]) -> tuple[tuple[Network, ...], frozenset[str]]:
    networks, names = [], set()
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower())
    return tuple(networks), frozenset(names)


def check_url(url: str, allow_private: list[str] | tuple[str, ...] = ()) -> list[Address]:
    """The addresses ``url``'s host resolves to; FetchError if any is private and not allowed."""
    host, port = check_scheme(url)
    try:
        return checked_addresses(host, port, allow_private)
    except GuardError as exc:
        raise FetchError(url, exc.reason, transient=exc.transient) from None


def check_scheme(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; FetchError for other schemes or no host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"scheme {parts.scheme!r} is not fetched (http and https only)")
    host = parts.hostname
    if not host:
        raise FetchError(url, "URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise FetchError(url, "URL has an invalid port") from None
    return host, port or (443 if parts.scheme == "https" else 80)


def checked_addresses(host: str, port: int, allow_private: list[str] | tuple[str, ...] = ()) -> list[Address]:
    """Resolve ``host`` once; GuardError unless every address is public or allowed.

    The connection is then made to these addresses and no others (see transport.py), so
    a name that answers differently the second time (DNS rebinding) gains nothing.
    """
    networks, names = _allowed(tuple(allow_private))
    addresses = resolve(host, port)
    if host.lower().rstrip(".") in names:
        return addresses
    for address in addresses:
        if not is_public(address) and not any(address in net for net in networks):
            raise GuardError(
                host,
                f"refused: {host} resolves to non-public address {address} "
                "(allow it with NEWSWORKER_FETCH__ALLOW_PRIVATE if intended)",
            )
    return addresses


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise GuardError(host, f"cannot resolve host {host!r}: {exc}", transient=True) from None
    if not infos:
        raise GuardError(host, f"host {host!r} resolves to no address", transient=True)
    # getaddrinfo's order is the system's preference (RFC 6724); keep it, drop repeats.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
