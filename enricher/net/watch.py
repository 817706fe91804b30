"""Telling "the network is down" from "this site is down". Pure: no I/O.

Every edge reports what happened to each request. While no host at all has answered during
this run and several hosts have failed at the network level, retries of network-level failures
are pointless (each would wait and fail again), so the run finishes in seconds and the summary
can say the network looks unavailable, rather than calling anything broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOWN_AFTER_HOSTS = 3
"""Distinct hosts that must fail, with none answering, before the network is presumed down."""


@dataclass
class NetworkWatch:
    """Counts answers and network-level failures across all edges of one run."""

    answers: int = 0
    """Requests that got any HTTP answer at all (even a 404 or 503)."""
    failed_hosts: set[str] = field(default_factory=set)
    """Hosts that failed to resolve, connect or answer in time."""

    def answered(self) -> None:
        self.answers += 1

    def failed(self, host: str) -> None:
        self.failed_hosts.add(host)

    @property
    def looks_down(self) -> bool:
        """No answer from anyone, and failures from several different hosts."""
        return self.answers == 0 and len(self.failed_hosts) >= DOWN_AFTER_HOSTS

    @property
    def looked_down(self) -> bool:
        """At the end of a run: something was tried and nothing at all answered."""
        return self.answers == 0 and len(self.failed_hosts) > 0
