from __future__ import annotations

import ipaddress

import pytest

from fluent_webhooks.exceptions import InvalidWebhookURL
from fluent_webhooks.http.addresses import forbidden_reason, non_public_kind
from fluent_webhooks.http.destinations import validate_webhook_url


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("64:ff9b::808:808", "address-translation"),
        ("2002:808:808::", "address-translation"),
    ],
)
def test_kinds_of_address(address, kind):
    assert non_public_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["100.64.0.1", "240.0.0.1", "192.0.0.8", "198.18.0.1"])
def test_shared_and_reserved_ranges_are_not_public(address):
    # Python versions differ on calling these "private" or merely not global.
    assert non_public_kind(ipaddress.ip_address(address)) is not None


def test_allowed_networks_admit_their_addresses_only():
    loopback = ipaddress.ip_address("127.0.0.1")
    assert forbidden_reason(loopback, ("127.0.0.0/8",)) is None
    assert forbidden_reason(loopback, ("10.0.0.0/8",)) == "127.0.0.1 is a loopback address"
    assert forbidden_reason(ipaddress.ip_address("::ffff:127.0.0.1"), ("127.0.0.0/8",)) is None


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/x?y=1", "https://8.8.8.8:8443/x", "https://bücher.example/hook"],
)
def test_public_https_urls_are_accepted(url):
    assert validate_webhook_url(url) == url


@pytest.mark.parametrize("host", ["0x7f000001", "0177.0.0.1", "127.1", "2130706433", "LOCALHOST"])
def test_numeric_and_localhost_spellings_of_loopback_are_refused(host):
    with pytest.raises(InvalidWebhookURL, match="loopback"):
        validate_webhook_url(f"https://{host}/x")


# Issue 10, defect 3: IPv6 forms that carry an IPv4 address are judged by that address.
@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("::a9fe:a9fe", "link-local"),  # IPv4-compatible ::/96
        ("::127.0.0.1", "loopback"),
        ("::10.0.0.1", "private"),
        ("::ffff:0:127.0.0.1", "loopback"),  # IPv4-translated ::ffff:0:0:0/96
        ("::ffff:0:a9fe:a9fe", "link-local"),
        ("64:ff9b::127.0.0.1", "loopback"),  # NAT64
        ("64:ff9b::169.254.169.254", "link-local"),
        ("64:ff9b:1::a9fe:a9fe", "link-local"),  # local-use NAT64: IPv4 in the last 32 bits
        ("2002:7f00:1::", "loopback"),  # 6to4: IPv4 in bits 16-48
        ("2002:a9fe:a9fe::1", "link-local"),
        # Teredo: the client is the last 32 bits inverted (0x80fffffe -> 127.0.0.1)
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
        ("2001:0:a9fe:a9fe:8000:63bf:3fff:fdd2", "link-local"),  # server 169.254.169.254
    ],
)
def test_embedded_ipv4_is_classified_by_the_ipv4(address, kind):
    assert non_public_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "address",
    [
        "::8.8.8.8",  # deprecated IPv4-compatible form: never routed, refused
        "::ffff:0:8.8.8.8",
        "64:ff9b::8.8.8.8",  # translation prefixes stay refused unless allowed
        "64:ff9b:1::8.8.8.8",
        "2002:808:808::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, public server and client
    ],
)
def test_public_ipv4_embedded_in_a_translation_form_is_still_not_public(address):
    assert non_public_kind(ipaddress.ip_address(address)) is not None
    assert forbidden_reason(ipaddress.ip_address(address), ()) is not None


def test_allowed_networks_cannot_admit_a_gateway_to_an_internal_ipv4():
    # The operator allows the NAT64 prefix for the public IPv4 internet; that must not
    # make the gateway's own loopback or metadata address reachable through it.
    allowed = ("64:ff9b::/96", "2002::/16", "2001::/32", "::/96", "::ffff:0:0:0/96")
    assert forbidden_reason(ipaddress.ip_address("64:ff9b::8.8.8.8"), allowed) is None
    for address in (
        "64:ff9b::127.0.0.1",
        "2002:a9fe:a9fe::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "::a9fe:a9fe",
        "::ffff:0:127.0.0.1",
    ):
        assert forbidden_reason(ipaddress.ip_address(address), allowed) is not None, address


def test_ipv6_loopback_and_unspecified_keep_their_own_kind():
    # :: and ::1 sit inside ::/96 but are IPv6 addresses of their own.
    assert non_public_kind(ipaddress.ip_address("::1")) == "loopback"
    assert non_public_kind(ipaddress.ip_address("::")) == "unspecified"


@pytest.mark.parametrize(
    "url", ["https://[::a9fe:a9fe]/", "https://[::127.0.0.1]/", "https://[::ffff:0:127.0.0.1]/"]
)
def test_urls_naming_ipv4_compatible_or_translated_addresses_are_refused(url):
    with pytest.raises(InvalidWebhookURL, match="non-public address"):
        validate_webhook_url(url)


# Issue 10, defect 4: the save-time check sees the host the way the sender will.
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1./",
        "https://2130706433./",
        "https://127\u30020\u30020\u30021/",  # ideographic full stops
        "https://127\uff0e0\uff0e0\uff0e1/",  # full-width full stops
        "https://\uff11\uff12\uff17.0.0.1/",  # full-width digits
        "https://loc\uff41lhost/",  # full-width a
        "https://localhost./",
        "https://\uff10x7f000001/",
        "https://\uff11\uff10.0.0.1./",
    ],
)
def test_every_spelling_of_an_internal_address_is_refused_at_save(url):
    with pytest.raises(InvalidWebhookURL, match="non-public address") as refused:
        validate_webhook_url(url)
    assert "ALLOWED_NETWORKS" in str(refused.value)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com./x", "https://\uff22\u00dcCHER.example/hook"]
)
def test_international_and_fully_qualified_names_are_accepted(url):
    assert validate_webhook_url(url) == url


def test_allowed_networks_admit_a_normalised_spelling(settings):
    settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    assert validate_webhook_url("https://127\u30020\u30020\u30021./")


def test_a_host_that_idna_cannot_map_is_invalid():
    with pytest.raises(InvalidWebhookURL, match="invalid host name"):
        validate_webhook_url("https://exa\u200bmple..com/")
