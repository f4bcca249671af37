"""Shared fixtures for the cs231n package tests."""

import socket

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator, so every test sees the same random inputs."""
    return np.random.RandomState(231)


@pytest.fixture
def no_network(monkeypatch):
    """Fail any connection that leaves this machine (loopback stays allowed)."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        # Only IP addresses are tuples; AF_UNIX paths are local by nature.
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
