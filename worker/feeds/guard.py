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


# Deprecated site-local (RFC 3879) and local-use NAT64 (RFC 8215): private in practice,
# though the standard library calls them global.
NEVER_PUBLIC_V6 = (ipaddress.IPv6Network("fec0::/10"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# Well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to: IPv4-mapped, 6to4, Teredo (client) or NAT64."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in net for net in NEVER_PUBLIC_V6):
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            # Tunnels and translators deliver to the embedded host: judge that one.
            return is_public(inner)
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
