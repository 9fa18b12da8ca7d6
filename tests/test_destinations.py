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
        ("64:ff9b::a00:1", "address-translation"),
        ("2002:a00:1::", "address-translation"),
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
