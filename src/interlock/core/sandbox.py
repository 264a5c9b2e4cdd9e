"""The sandbox: this process, and so every process it starts, in a network namespace of its own.

A sandboxed run has a loopback interface and nothing else, so no request of a stage, a service
it started or a locustfile can leave the machine, whatever the manifest or an app under test says
(a redirect to a real host, a webhook, a misspelt ``base_url``). Linux only.

The namespace is entered in-process with ``unshare(2)`` rather than by re-running interlock under
``unshare --net``: every child inherits it just the same, and there is no outer process to pass
signals and exit codes through, so Ctrl-C, SIGTERM and the exit code behave exactly as without it.
Root enters a new network namespace directly; another user gets one inside a new user namespace
(mapped to itself, so the files it writes stay its own) where the kernel allows that.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import sys
from pathlib import Path

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH14x"  # struct ifreq: the interface name, then ifr_flags in its union


class SandboxUnavailable(Exception):
    """This process cannot get a private network namespace here; the message says why."""


def enter_sandbox() -> None:
    """Move this process into a new network namespace with only loopback, up.

    Must run before the process starts any thread or child: a thread that exists already would
    stay outside (and a new user namespace refuses a threaded process). Raises
    :class:`SandboxUnavailable` rather than ever carrying on unsandboxed.
    """
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"network namespaces are a Linux feature (this is {sys.platform})")
    threads = _thread_count()
    if threads != 1:
        raise SandboxUnavailable(f"the process already runs {threads} threads, which would stay outside")
    _unshare_network()
    _bring_loopback_up()
    interfaces = sorted(name for _index, name in socket.if_nameindex())
    if interfaces != ["lo"]:
        raise SandboxUnavailable(f"the new namespace has interfaces {interfaces}, not only lo")


def in_private_network() -> bool:
    """Whether this process sees no network interface but loopback (as inside the sandbox)."""
    return [name for _index, name in socket.if_nameindex()] == ["lo"]


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1  # no /proc to ask: unshare itself still refuses a threaded process with a user namespace


def _unshare_network() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return
    first = ctypes.get_errno()
    if first != errno.EPERM or os.geteuid() == 0:
        raise SandboxUnavailable(f"unshare(CLONE_NEWNET) failed: {os.strerror(first)}")
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise SandboxUnavailable(
            f"unshare(CLONE_NEWNET) needs root, and a user namespace was refused ({os.strerror(code)}):"
            " allow unprivileged user namespaces (kernel.unprivileged_userns_clone=1) or run as root"
        )
    try:  # map the user to itself; setgroups must be denied before an unprivileged gid_map
        Path("/proc/self/setgroups").write_text("deny", encoding="ascii")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1", encoding="ascii")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1", encoding="ascii")
    except OSError as exc:
        raise SandboxUnavailable(f"could not map the user into the new user namespace: {exc}") from None


def _bring_loopback_up() -> None:
    """``ip link set lo up``, without needing the ip binary: SIOCSIFFLAGS on lo."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            request = struct.pack(_IFREQ, b"lo", 0)
            _name, flags = struct.unpack(_IFREQ, fcntl.ioctl(sock, _SIOCGIFFLAGS, request))
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))
        except OSError as exc:
            raise SandboxUnavailable(f"could not bring up loopback in the new namespace: {exc}") from None
