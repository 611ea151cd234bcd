"""Addresses the aggregator refuses, and the HTML it keeps from other people's feeds."""

import shutil
import ssl
import subprocess

import pytest
import requests

from tests.grantee.aggregator.server import FeedServer, rss
from tests.grantee.factories import FeedSourceFactory
from wagtail_grantee.aggregator import fetching
from wagtail_grantee.aggregator.parsing import parse, sanitise
from wagtail_grantee.aggregator.safety import UnsafeURL, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2/feed/",
        "http://2130706433/feed/",  # 127.0.0.1 as one number
        "http://0x7f000001/feed/",
        "http://0177.0.0.1/feed/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    ],
)
def test_private_and_reserved_addresses_are_refused(url, settings):
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": []}
    with pytest.raises(UnsafeURL, match="private or reserved"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/feed", "gopher://x/", "javascript:alert(1)"]
)
def test_only_http_and_https(url):
    with pytest.raises(UnsafeURL, match="Only http and https"):
        check_url(url)


def test_allowed_networks_are_exempt(settings):
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    assert check_url("http://2130706433:8000/feed/") == ("2130706433", "127.0.0.1")
    with pytest.raises(UnsafeURL):
        check_url("http://127.0.0.2/")


def test_a_public_address_is_accepted(settings):
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": []}
    assert check_url("https://93.184.215.14/feed/") == ("93.184.215.14", "93.184.215.14")


@pytest.mark.django_db
def test_a_refused_source_gets_a_clear_error(settings):
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": []}
    source = FeedSourceFactory(feed_url="http://169.254.169.254/latest/")

    fetching.run([source.pk], force=True)

    source.refresh_from_db()
    assert source.last_error == (
        "Refused: 169.254.169.254 is a private or reserved address (169.254.169.254)."
    )
    assert source.last_status is None


def test_scripts_event_handlers_and_javascript_urls_are_removed():
    html = (
        '<p onclick="steal()">Halo<script>alert(1)</script><style>p{}</style></p>'
        '<img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">klik</a>'
        '<iframe src="https://evil.example/"></iframe><svg><script>x</script></svg>'
    )
    clean = sanitise(html, "http://grantee.example.org/berita/1/")
    for forbidden in ("script", "style", "onclick", "onerror", "javascript:", "iframe", "alert"):
        assert forbidden not in clean
    assert "Halo" in clean and "klik" in clean


def test_relative_urls_are_made_absolute_against_the_entry_link():
    clean = sanitise(
        '<a href="../2/">next</a> <img src="/media/a.jpg" width="640" height="360">',
        "http://grantee.example.org/berita/1/",
    )
    assert 'href="http://grantee.example.org/berita/2/"' in clean
    assert 'src="http://grantee.example.org/media/a.jpg"' in clean


def test_images_stay_links_to_the_original_lazy_loaded_with_their_size():
    clean = sanitise('<img src="/a.jpg" width="640" height="360" alt="Foto">', "http://g.org/")
    assert 'loading="lazy"' in clean
    assert 'width="640"' in clean and 'height="360"' in clean
    assert 'src="http://g.org/a.jpg"' in clean


def test_feed_html_is_sanitised_and_relative_links_resolved_against_the_item_link():
    body = rss(
        [
            {
                "guid": "g1",
                "title": "T",
                "link": "http://grantee.example.org/berita/1/",
                "description": (
                    "&lt;p&gt;&lt;a href='lain/'&gt;lain&lt;/a&gt;&lt;img src='foto.jpg' "
                    "onerror='x()'&gt;&lt;script&gt;bad()&lt;/script&gt;&lt;/p&gt;"
                ),
            }
        ]
    ).encode()
    (entry,) = parse(body, "http://grantee.example.org/feed/")
    assert "script" not in entry.content and "onerror" not in entry.content
    assert 'href="http://grantee.example.org/berita/1/lain/"' in entry.content
    assert entry.image_url == "http://grantee.example.org/berita/1/foto.jpg"


def test_media_content_gives_the_image_and_its_size():
    body = rss(
        [
            {
                "guid": "g1",
                "title": "T",
                "link": "http://g.org/1/",
                "extra": '<media:content url="http://g.org/big.jpg" medium="image" '
                'width="1200" height="675"/>',
            }
        ]
    ).encode()
    (entry,) = parse(body, "http://g.org/feed/")
    assert (entry.image_url, entry.image_width, entry.image_height) == (
        "http://g.org/big.jpg",
        1200,
        675,
    )


def test_rss_0_91_and_rss_1_0_are_read():
    rss091 = (
        '<?xml version="1.0"?><rss version="0.91"><channel><title>x</title><link>http://g.org/'
        "</link><item><title>Lama</title><link>http://g.org/lama/</link></item></channel></rss>"
    )
    rdf = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://g.org/"><title>x</title>'
        '<link>http://g.org/</link></channel><item rdf:about="http://g.org/rdf/1/">'
        "<title>RDF</title><link>http://g.org/rdf/1/</link></item></rdf:RDF>"
    )
    assert [e.title for e in parse(rss091.encode(), "http://g.org/f")] == ["Lama"]
    assert [e.title for e in parse(rdf.encode(), "http://g.org/f")] == ["RDF"]


def test_links_and_images_that_are_not_http_are_dropped():
    body = rss(
        [
            {
                "guid": "g1",
                "title": "T",
                "link": "javascript:alert(1)",
                "extra": '<media:content url="data:image/png;base64,AAAA" medium="image"/>',
            }
        ]
    ).encode()
    (entry,) = parse(body, "http://g.org/feed/")
    assert entry.link == ""
    assert entry.image_url == ""


def test_connections_go_to_the_checked_address_not_to_a_new_dns_answer(server):
    """The session connects a host only to the address pinned by the check (DNS rebinding):
    a name that DNS does not know reaches the pinned server, an unpinned one nothing."""
    from wagtail_grantee.aggregator import http

    server.feed("/feed/", rss([]))
    port = server.base_url.rsplit(":", 1)[1]
    with http.session() as session:
        session.pins["grantee.invalid"] = "127.0.0.1"
        response = session.get(f"http://grantee.invalid:{port}/feed/", timeout=2)
        assert response.status_code == 200
        assert server.requests_to("/feed/")[0]["Host"] == f"grantee.invalid:{port}"
        with pytest.raises(UnsafeURL):
            session.get(f"http://localhost:{port}/feed/", timeout=2)
    assert len(server.requests) == 1


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl to make a certificate")
def test_https_to_the_checked_address_still_verifies_the_certificate_by_host_name(tmp_path):
    """Pinned to 127.0.0.1, the TLS handshake still names and checks ``grantee.test``: a
    certificate for that name is accepted, one for another name refused."""
    from wagtail_grantee.aggregator import http

    def certificate(name):
        key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        return key, cert

    for name, accepted in [("grantee.test", True), ("other.test", False)]:
        key, cert = certificate(name)
        with FeedServer() as server:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            server._httpd.socket = context.wrap_socket(server._httpd.socket, server_side=True)
            server.feed("/feed/", rss([]))
            port = server.base_url.rsplit(":", 1)[1]
            with http.session() as session:
                session.verify = str(cert)
                session.pins["grantee.test"] = "127.0.0.1"
                if accepted:
                    response = session.get(f"https://grantee.test:{port}/feed/", timeout=5)
                    assert response.status_code == 200
                else:
                    with pytest.raises(requests.exceptions.SSLError):
                        session.get(f"https://grantee.test:{port}/feed/", timeout=5)


@pytest.mark.parametrize("networks", ["127.0.0.1/32", ["127.0.0.1/33"], ["localhost"]])
def test_invalid_allowed_networks_are_a_system_check_error(settings, networks):
    from wagtail_grantee.checks import check_aggregator_networks

    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": networks}
    assert [error.id for error in check_aggregator_networks(None)] == ["wagtail_grantee.E010"]
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": ["10.0.5.0/24", "::1/128"]}
    assert check_aggregator_networks(None) == []
