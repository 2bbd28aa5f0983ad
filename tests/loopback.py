"""Free TCP ports on loopback, for the local clusters of the tests (test_distribute.py)."""

from __future__ import annotations

import socket


def free_loopback_ports(count: int) -> list[int]:
    """`count` TCP ports free on 127.0.0.1 now, for a cluster of local processes (tests, benchmarks)."""
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports
