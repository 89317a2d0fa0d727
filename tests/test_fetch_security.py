"""The private-address guard where connections are made (after DNS, every hop, no rebinding
window), and TLS verification on by default for the fetcher, Elasticsearch and Kibana.

Names are resolved by a stand-in for ``socket.getaddrinfo`` (the real one for everything
else); the servers are real, on 127.0.0.1 and 127.0.0.2. In these tests 127.0.0.1 plays
the public internet (allowed by NEWSWORKER_FETCH__ALLOW_PRIVATE) and 127.0.0.2 a service
inside the network that a feed must never reach.
"""

from __future__ import annotations

import socket
import ssl
from collections import Counter

import pytest
import trustme

from tests.httpserver import LocalServer, Reply
from worker.feeds.errors import FetchError
from worker.feeds.http import Fetcher, tls_context
from worker.settings import ElasticsearchSettings, FetchSettings, KibanaSettings

PUBLIC, INTERNAL = "127.0.0.1", "127.0.0.2"
ALLOW = [f"{PUBLIC}/32"]


class FakeDns:
    """Answers for some names (a list per name: one answer per lookup, the last repeated)."""

    def __init__(self, monkeypatch, answers: dict[str, list[list[str]]]):
        self.answers, self.lookups = answers, Counter()
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups[name] += 1
            sequence = self.answers[name]
            addresses = sequence[min(self.lookups[name], len(sequence)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port or 0))) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def public():
    with LocalServer(PUBLIC) as server:
        yield server


@pytest.fixture
def internal(public):
    """A server inside the network, on the same port as the public one (so only the address differs)."""
    try:
        server = LocalServer(INTERNAL, public.port)
    except OSError as exc:
        pytest.skip(f"cannot listen on {INTERNAL}:{public.port} here: {exc}")
    with server:
        yield server


def fetcher(**settings) -> Fetcher:
    return Fetcher(FetchSettings(allow_private=ALLOW, total_timeout=10, **settings))


FEED = b'<rss version="2.0"><channel><title>T</title></channel></rss>'


def test_dns_rebinding_gets_nothing_the_checked_address_is_the_one_dialled(monkeypatch, public, internal):
    public.serve("/feed.xml", Reply(200, b"public feed"))
    internal.serve("/feed.xml", Reply(200, b"INTERNAL SECRET"))
    # First answer passes the guard; every later one points inside the network.
    dns = FakeDns(monkeypatch, {"rebind.test": [[PUBLIC], [INTERNAL]]})
    client = fetcher()
    try:
        result = client.get(f"http://rebind.test:{public.port}/feed.xml")
    finally:
        client.close()
    assert result.content == b"public feed"
    assert internal.requests == []
    assert dns.lookups["rebind.test"] == 1  # resolved once: for the check and the connection both
    assert public.requests[0].headers["host"] == f"rebind.test:{public.port}"  # the name, not the address


def test_a_name_resolving_inside_is_refused_before_connecting(monkeypatch, public, internal):
    internal.serve("/feed.xml", Reply(200, b"INTERNAL SECRET"))
    FakeDns(monkeypatch, {"intranet.test": [[INTERNAL]]})
    client = fetcher()
    with pytest.raises(FetchError) as refused:
        client.get(f"http://intranet.test:{public.port}/feed.xml")
    client.close()
    assert f"refused: intranet.test resolves to non-public address {INTERNAL}" in refused.value.reason
    assert refused.value.url == f"http://intranet.test:{public.port}/feed.xml"
    assert internal.requests == []


def test_one_inside_address_among_public_ones_refuses_the_name(monkeypatch, public, internal):
    public.serve("/feed.xml", Reply(200, FEED))
    FakeDns(monkeypatch, {"mixed.test": [[PUBLIC, INTERNAL]]})
    client = fetcher()
    with pytest.raises(FetchError, match="non-public address 127.0.0.2"):
        client.get(f"http://mixed.test:{public.port}/feed.xml")
    client.close()
    assert public.requests == [] and internal.requests == []


def test_every_redirect_hop_is_checked_where_it_connects(monkeypatch, public, internal):
    internal.serve("/admin", Reply(200, b"INTERNAL SECRET"))
    FakeDns(monkeypatch, {"intranet.test": [[INTERNAL]], "news.test": [[PUBLIC]]})
    public.serve("/feed.xml", Reply(302, headers={"Location": f"http://news.test:{public.port}/hop"}))
    public.serve("/hop", Reply(301, headers={"Location": f"http://intranet.test:{public.port}/admin"}))
    client = fetcher()
    with pytest.raises(FetchError) as refused:
        client.get(f"http://{PUBLIC}:{public.port}/feed.xml")
    client.close()
    assert "intranet.test resolves to non-public address 127.0.0.2" in refused.value.reason
    assert [r.path for r in public.requests] == ["/feed.xml", "/hop"]
    assert internal.requests == []


def test_default_settings_refuse_loopback_and_literal_forms(public):
    public.serve("/feed.xml", Reply(200, FEED))
    client = Fetcher(FetchSettings())
    for url in (public.url("/feed.xml"), f"http://[::ffff:127.0.0.1]:{public.port}/feed.xml", f"http://2130706433:{public.port}/feed.xml"):
        with pytest.raises(FetchError, match="non-public address"):
            client.get(url)
    client.close()
    assert public.requests == []


TUNNELLED_INSIDE = [
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:1",  # local-use NAT64
    "fec0::1",  # deprecated site-local
]


@pytest.mark.parametrize("address", TUNNELLED_INSIDE)
def test_ipv6_forms_that_lead_inside_are_refused_before_connecting(monkeypatch, public, address):
    FakeDns(monkeypatch, {"tunnel.example": [[address]]})
    client = fetcher()
    with pytest.raises(FetchError, match=f"non-public address {address}"):
        client.get(f"http://tunnel.example:{public.port}/feed.xml")
    client.close()
    assert public.requests == []


@pytest.mark.parametrize("address, public", [
    ("2002:808:808::1", True),  # 6to4 of a public host
    ("64:ff9b::808:808", True),  # NAT64 of a public host
    ("2002:a00:1::1", False),
    ("64:ff9b::7f00:1", False),
])
def test_tunnels_are_judged_by_the_ipv4_host_they_reach(address, public):
    import ipaddress

    from worker.feeds.guard import is_public

    assert is_public(ipaddress.ip_address(address)) is public


def test_unresolvable_name_is_a_transient_error(monkeypatch):
    FakeDns(monkeypatch, {})
    client = fetcher()
    with pytest.raises(FetchError) as failed:
        client.get("http://no-such-host.invalid/feed.xml")
    client.close()
    assert "cannot resolve host 'no-such-host.invalid'" in failed.value.reason and failed.value.transient


# -- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def tls_server(ca: trustme.CA, *names: str) -> LocalServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return LocalServer(PUBLIC, tls=context)


def test_fetcher_verifies_certificates_by_default(monkeypatch, ca):
    FakeDns(monkeypatch, {"feed.test": [[PUBLIC]]})
    with tls_server(ca, "feed.test") as server:
        server.serve("/feed.xml", Reply(200, FEED))
        client = fetcher()
        with pytest.raises(FetchError) as refused:
            client.get(f"https://feed.test:{server.port}/feed.xml")
        client.close()
    assert refused.value.reason.startswith("TLS certificate not trusted: unable to get local issuer certificate")
    assert not refused.value.transient
    assert server.requests == []


def test_a_private_ca_is_trusted_and_the_name_is_checked_on_the_pinned_address(monkeypatch, ca, tmp_path):
    """Connected to the checked address, yet SNI and the certificate check use the name."""
    FakeDns(monkeypatch, {"feed.test": [[PUBLIC]], "other.test": [[PUBLIC]]})
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with tls_server(ca, "feed.test") as server:
        server.serve("/feed.xml", Reply(200, FEED))
        client = fetcher(ca_certs=ca_file)
        try:
            assert client.get(f"https://feed.test:{server.port}/feed.xml").content == FEED
            with pytest.raises(FetchError, match="TLS certificate not trusted: Hostname mismatch"):
                client.get(f"https://other.test:{server.port}/feed.xml")  # same address, another name
        finally:
            client.close()
    assert [r.headers["host"] for r in server.requests] == [f"feed.test:{server.port}"]


def test_tls_settings_default_to_verifying(tmp_path):
    context = tls_context(FetchSettings())
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert FetchSettings().ca_certs is None
    assert ElasticsearchSettings().verify_certs is True and KibanaSettings().verify_certs is True
    assert "verify" not in " ".join(FetchSettings.model_fields)  # no switch to turn it off for feeds


def test_elasticsearch_client_verifies_by_default(ca, tmp_path):
    from elastic_transport import TlsError

    from worker.store.es_client import make_client

    with tls_server(ca, PUBLIC) as server:
        server.serve("/", Reply(200, b"{}", {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"}))
        client = make_client(ElasticsearchSettings(url=f"https://{PUBLIC}:{server.port}", max_retries=0))
        with pytest.raises(TlsError) as refused:
            client.perform_request("GET", "/")
        assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value)
        client.close()
        assert server.requests == []
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        trusting = make_client(ElasticsearchSettings(url=f"https://{PUBLIC}:{server.port}", max_retries=0, ca_certs=ca_file))
        trusting.perform_request("GET", "/")
        trusting.close()
        assert [r.path for r in server.requests] == ["/"]


def test_kibana_import_verifies_by_default(ca, tmp_path):
    from worker.errors import KibanaError
    from worker.kibana import import_objects

    with tls_server(ca, PUBLIC) as server:
        server.serve("/api/saved_objects/_import", Reply(200, b'{"success": true, "successCount": 1}', {"Content-Type": "application/json"}))
        url = f"https://{PUBLIC}:{server.port}"
        with pytest.raises(KibanaError, match="CERTIFICATE_VERIFY_FAILED"):
            import_objects(KibanaSettings(url=url), '{"id": "x"}\n')
        assert server.requests == []
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        import_objects(KibanaSettings(url=url, ca_certs=ca_file), '{"id": "x"}\n')
        assert [r.method for r in server.requests] == ["POST"]
