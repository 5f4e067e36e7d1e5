"""Dask on several "hosts" of this machine: each host a network namespace with its own address on a veth pair.

A bridge in the machine's own namespace joins them (10.231.0.0/24 by default, nothing routed off the machine):

- the scheduler runs in its own namespace (`<prefix>-sched`, .2);
- each worker host runs one `dask worker` in its namespace (`<prefix>-h1`, .11, `<prefix>-h2`, .12, ...);
- the client (the job) stays in the machine's namespace, at the bridge's address (.1).

`cut_off(host)` takes the host's link down: its worker is alive but unreachable, as a host whose network or
power failed. The scheduler notices through missed heartbeats: Dask's default wait is 5 minutes
(`distributed.scheduler.worker-ttl`), CityLake's clusters wait `pipelines.compute.WORKER_TTL`, and these hosts
`worker_ttl` (6 s, so that a demo's job on a few thousand rows outlives the wait). The lake is a folder every
host sees (as a shared file system would be); the S3 case is the storage cluster's. Needs root (`ip netns`).
`down()` kills the processes and deletes every link and namespace.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.compute import cluster_environment, scheduler_workers
from pipelines.processes import ServiceError, Started, alive, start_process, wait_until

DASK_PORT = 8786


class HostNetworkError(ServiceError):
    """The namespaces, links or processes could not be made or removed; the message says why."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise HostNetworkError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


@dataclass
class HostNetwork:
    """`hosts` worker hosts and a scheduler host on one bridge; `home` holds logs and the workers' spill folders."""

    home: Path
    hosts: int
    prefix: str = "cl"
    subnet: str = "10.231.0"
    worker_threads: int = 1
    worker_memory: str = "2GiB"
    worker_ttl: str = "6s"
    processes: dict[str, Started] = field(default_factory=dict)

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br"

    @property
    def scheduler_address(self) -> str:
        return f"tcp://{self.subnet}.2:{DASK_PORT}"

    def namespace(self, host: int) -> str:
        """host 0 is the scheduler's, 1.. the workers'."""
        return f"{self.prefix}-sched" if host == 0 else f"{self.prefix}-h{host}"

    def address(self, host: int) -> str:
        return f"{self.subnet}.{2 if host == 0 else 10 + host}"

    def _link(self, host: int) -> str:
        return f"{self.prefix}-v{host}"  # the machine's end of the host's veth pair (the host's end is eth0)

    def _add_host(self, host: int) -> None:
        ns, link = self.namespace(host), self._link(host)
        _ip("netns", "add", ns)
        _ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("link", "set", link, "master", self.bridge, "up")
        _ip("-n", ns, "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")

    def _in_host(self, host: int, name: str, command: list[str], extra_env: dict[str, str]) -> Started:
        env = {**os.environ, **cluster_environment(self.worker_ttl), **extra_env}
        started = start_process(
            name, ["ip", "netns", "exec", self.namespace(host), *command], env, self.home / "logs", cwd=self.home
        )
        self.processes[name] = started
        return started

    def up(self, timeout: float = 120) -> None:
        """Make the bridge and the namespaces, start the scheduler and one worker per host, wait for them all."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.down()  # what a crashed earlier run left
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for host in range(self.hosts + 1):
            self._add_host(host)
        dask = str(Path(sys.executable).with_name("dask"))
        timeouts = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"}
        scheduler = self._in_host(
            0, "scheduler", [dask, "scheduler", "--host", self.address(0), "--port", str(DASK_PORT), "--no-dashboard"], timeouts
        )
        wait_until("the Dask scheduler", lambda: self.workers() >= 0, 60, [scheduler])
        for host in range(1, self.hosts + 1):
            command = [
                dask, "worker", self.scheduler_address, "--name", f"host{host}", "--host", self.address(host),
                "--nthreads", str(self.worker_threads), "--memory-limit", self.worker_memory, "--no-dashboard",
                "--local-directory", str(self.home / f"host{host}"),
            ]  # fmt: skip
            self._in_host(host, f"worker.{host}", command, timeouts)
        wait_until(f"{self.hosts} Dask workers", lambda: self.workers() == self.hosts, timeout, list(self.processes.values()))

    def workers(self) -> int:
        """The workers the scheduler knows, or -1 while it does not answer."""
        try:
            return scheduler_workers(self.scheduler_address, timeout=5)
        except OSError:
            return -1

    def cut_off(self, host: int) -> None:
        """Take a worker host's link down: its processes live on, unreachable."""
        _ip("link", "set", self._link(host), "down")

    def _pids_in(self, host: int) -> list[int]:
        done = subprocess.run(["ip", "netns", "pids", self.namespace(host)], capture_output=True, text=True, timeout=30)
        return [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []

    def down(self) -> None:
        """Kill the processes started here, delete the namespaces (their veth pairs go with them) and the bridge."""
        for process in self.processes.values():
            if alive(process):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while any(alive(p) for p in self.processes.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.processes.clear()
        for host in range(self.hosts + 1):
            for pid in self._pids_in(
                host
            ):  # anything else still inside (a worker's child): a namespace outlives its ip netns del while a process is in it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(HostNetworkError):
                _ip("link", "del", self._link(host))
            with contextlib.suppress(HostNetworkError):
                _ip("netns", "del", self.namespace(host))
        with contextlib.suppress(HostNetworkError):
            _ip("link", "del", self.bridge)
