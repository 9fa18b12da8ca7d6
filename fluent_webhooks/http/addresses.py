"""Which IP addresses webhooks may reach: public ones, and those in ``ALLOWED_NETWORKS``."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes whose last 32 bits are an IPv4 address: IPv4-compatible (deprecated, RFC 4291),
# IPv4-translated (SIIT, RFC 2765), NAT64 well-known and local-use (RFC 6052, RFC 8215). For
# the local-use /48 only the /96 layout is decoded; an operator who allows that prefix vouches
# for the translator behind it.
_LAST_32_BITS = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)

# Ranges that older Python releases call global although they are not: IPv6 prefixes that
# embed an IPv4 address a gateway forwards to, and IETF protocol assignments (CPython issue
# 113171). A translation prefix stays refused even when the IPv4 inside it is public: the
# packet leaves through a gateway or relay we do not control, so only an operator who lists
# the prefix in ALLOWED_NETWORKS may send through it.
_EXTRA_NON_PUBLIC = (
    (ipaddress.ip_network("::/96"), "address-translation"),  # IPv4-compatible, deprecated
    (ipaddress.ip_network("::ffff:0:0:0/96"), "address-translation"),  # IPv4-translated
    (ipaddress.ip_network("64:ff9b::/96"), "address-translation"),  # NAT64
    (ipaddress.ip_network("64:ff9b:1::/48"), "address-translation"),  # local-use NAT64
    (ipaddress.ip_network("2002::/16"), "address-translation"),  # 6to4
    (ipaddress.ip_network("2001::/32"), "address-translation"),  # Teredo
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


def embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries: none, one, or a Teredo server and client."""
    if not isinstance(address, ipaddress.IPv6Address):
        return ()
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address.teredo is not None:  # 2001::/32; Python undoes the client's bit inversion
        return address.teredo
    if address.sixtofour is not None:  # 2002::/16, IPv4 in bits 16-48
        return (address.sixtofour,)
    if int(address) > 1 and any(address in network for network in _LAST_32_BITS):
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    return ()  # :: and ::1 are IPv6's own unspecified and loopback addresses


def non_public_kind(address: IPAddress) -> str | None:
    """Name the kind of non-public address this is, or ``None`` for a public one.

    An IPv6 address that carries an IPv4 address is as non-public as the IPv4 inside it.
    """
    for inner in embedded_ipv4(address):
        kind = _own_kind(inner)
        if kind is not None:
            return kind
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return None  # the socket connects to the public IPv4 itself
    return _own_kind(address)


def _own_kind(address: IPAddress) -> str | None:
    # Checked one by one rather than through is_global, which older Pythons get wrong.
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    for network, kind in _EXTRA_NON_PUBLIC:
        if address.version == network.version and address in network:
            return kind
    if address.is_private:
        return "private"
    if not address.is_global or address.is_reserved:
        return "reserved"
    return None


def forbidden_reason(address: IPAddress, allowed_networks: tuple[str, ...]) -> str | None:
    """Why a webhook may not reach ``address``, or ``None`` when it may.

    An IPv6 address that carries an IPv4 address is admitted only when both are public or
    allowed: an ``ALLOWED_NETWORKS`` entry for a translation prefix (NAT64, 6to4, Teredo...)
    never admits a non-public IPv4 address behind it. IPv4-mapped addresses are the IPv4
    address itself to the socket, so only the IPv4 address is judged.
    """
    allowed = parse_networks(allowed_networks)

    def is_allowed(candidate: IPAddress) -> bool:
        return any(candidate.version == net.version and candidate in net for net in allowed)

    inner = embedded_ipv4(address)
    for ipv4 in inner:
        kind = _own_kind(ipv4)
        if kind is not None and not is_allowed(ipv4):
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                return f"{ipv4} is a {kind} address"
            return f"{address} carries {ipv4}, a {kind} address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return None  # the IPv4 inside is public or allowed, and it is what the socket reaches
    kind = _own_kind(address)
    if kind is None or is_allowed(address):
        return None
    return f"{address} is a {kind} address"
