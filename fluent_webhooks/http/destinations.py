"""Rules for webhook target URLs, checked when a webhook is saved."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import idna  # a dependency of requests, which maps non-ASCII hosts with it before sending

from ..conf import conf
from ..exceptions import InvalidWebhookURL
from .addresses import IPAddress, forbidden_reason

MAX_URL_LENGTH = 2048
HTTPS_REQUIRED = "Webhook URL must use HTTPS protocol."

# Hosts that name this machine by convention (RFC 6761) rather than through DNS.
_LOCALHOST = re.compile(r"(^|\.)localhost\.?$", re.IGNORECASE)
# The legacy numeric forms inet_aton accepts: 2130706433, 0x7f000001, 0177.1, 127.1 ...
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-Fx.]+$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def validate_webhook_url(url: str) -> str:
    """Return ``url`` if a webhook may be sent to it, else raise ``InvalidWebhookURL``."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookURL("Webhook URL is required.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookURL(f"Webhook URL must be at most {MAX_URL_LENGTH} characters.")
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise InvalidWebhookURL("Webhook URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidWebhookURL("Webhook URL is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and (conf.require_https or scheme != "http"):
        raise InvalidWebhookURL(
            HTTPS_REQUIRED if conf.require_https else "Webhook URL must use HTTP or HTTPS."
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookURL("Webhook URL must not contain a username or password.")
    host = parts.hostname
    if not host:
        raise InvalidWebhookURL("Webhook URL must name a host.")
    if port == 0:
        raise InvalidWebhookURL("Webhook URL has an invalid port.")
    ascii_host = _sender_host(host)
    if ascii_host is None:
        raise InvalidWebhookURL("Webhook URL has an invalid host name.")
    address = _literal_address(ascii_host)
    if address is None and not _is_valid_hostname(ascii_host):
        raise InvalidWebhookURL("Webhook URL has an invalid host name.")
    if address is not None:
        reason = forbidden_reason(address, conf.allowed_networks)
        if reason is not None:
            raise InvalidWebhookURL(
                f"Webhook URL must not point to a loopback, private, link-local, "
                f"or otherwise non-public address ({reason}) unless it is inside "
                f"FLUENT_WEBHOOKS['ALLOWED_NETWORKS']."
            )
    return url


def _sender_host(host: str) -> str | None:
    """``host`` as the sender will look it up: ASCII, without the root's trailing dot.

    Like requests, non-ASCII hosts go through IDNA with UTS-46 mapping, which turns
    full-width digits and letters and the ideographic full stops into ASCII; ``None`` when
    the host cannot be mapped.
    """
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    host = host.lower()
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def _literal_address(host: str) -> IPAddress | None:
    """The IP address the ASCII ``host`` spells, in any form a resolver would accept."""
    if _LOCALHOST.search(host):
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_valid_hostname(ascii_host: str) -> bool:
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)
