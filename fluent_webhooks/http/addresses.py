"""Which IP addresses webhooks may reach: public ones, and those in ``ALLOWED_NETWORKS``."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges that older Python releases call global although they are not: IPv6 prefixes that
# embed an IPv4 address a gateway forwards to (so they reach internal hosts whatever the
# embedded address is), and IETF protocol assignments (CPython issue 113171).
_EXTRA_NON_PUBLIC = (
    (ipaddress.ip_network("64:ff9b::/96"), "address-translation"),  # NAT64
    (ipaddress.ip_network("64:ff9b:1::/48"), "address-translation"),  # local-use NAT64
    (ipaddress.ip_network("2002::/16"), "address-translation"),  # 6to4
    (ipaddress.ip_network("192.0.0.0/24"), "reserved"),
    (ipaddress.ip_network("100.64.0.0/10"), "shared (carrier-grade NAT)"),
)


@lru_cache(maxsize=32)
def parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse CIDR strings; raises ``ValueError`` naming the first bad one."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{cidr!r} is not a valid network: {error}") from None
    return tuple(networks)


def non_public_kind(address: IPAddress) -> str | None:
    """Name the kind of non-public address this is, or ``None`` for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    for network, kind in _EXTRA_NON_PUBLIC:
        if address.version == network.version and address in network:
            return kind
    if not address.is_global:
        return "reserved"
    return None


def forbidden_reason(address: IPAddress, allowed_networks: tuple[str, ...]) -> str | None:
    """Why a webhook may not reach ``address``, or ``None`` when it may."""
    kind = non_public_kind(address)
    if kind is None:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    allowed = parse_networks(allowed_networks)
    if any(address.version == net.version and address in net for net in allowed):
        return None
    return f"{address} is a {kind} address"
