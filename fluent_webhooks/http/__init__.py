"""Outbound HTTP: the sender (``transport``) and the rules for where it may go
(``addresses`` for IP addresses, ``destinations`` for URLs at save time)."""
