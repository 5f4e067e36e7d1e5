"""A small replicated object store on this machine: Ceph with three storage daemons, two S3 gateways and a balancer.

The lake's production store is MinIO or any S3 service (infra/ runs four MinIO nodes behind nginx). What
CityLake relies on is the store's own replication and healing, so this module runs a real one on loopback to show
it, with Debian's Ceph packages (MinIO's server cannot be installed here):

- one monitor and one manager (the manager reports the placement groups' states);
- `osds` storage daemons (OSDs), BlueStore on sparse files, each a "node" of the cluster;
- every pool kept in `replicas` copies, one per OSD, writable while `min_size` copies are up;
- `gateways` RADOS gateways (S3 endpoints) behind one nginx that sends each request to a live gateway and
  retries a request a dead gateway refused on the other (the pattern of infra/nginx/minio.conf).

Every daemon is recorded with its pid (pipelines.processes) so that a scenario can kill one and start it again,
and `stop()` stops exactly what `start()` started. Keys are made at bootstrap and kept in the cluster's folder
(mode 0600), never in the repository. Needs root and the packages in `PACKAGES`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.processes import (
    ServiceError,
    Started,
    alive,
    read_started,
    record_started,
    start_process,
    stop_recorded,
    wait_until,
)

PACKAGES = ("ceph-mon", "ceph-osd", "ceph-mgr", "radosgw", "ceph-common", "nginx-light")
COMMANDS = ("ceph-mon", "ceph-osd", "ceph-mgr", "radosgw", "ceph", "radosgw-admin", "nginx")
RGW_POOLS = (
    ".rgw.root",
    "default.rgw.log",
    "default.rgw.control",
    "default.rgw.meta",
    "default.rgw.buckets.index",
    "default.rgw.buckets.data",
    "default.rgw.buckets.non-ec",
)


class StorageClusterError(ServiceError):
    """The storage cluster could not be started, changed or read; the message says why."""


@dataclass(frozen=True)
class StorageClusterConfig:
    """Where the cluster keeps its state, its size and its ports (beside the CI's single-node server's 6789/3300/7480)."""

    base: Path = PROJECT_ROOT / "var" / "scale" / "ceph"
    osds: int = 3
    replicas: int = 3
    min_size: int = 2
    mon_port: int = 6795
    mon_port_v2: int = 3305
    gateway_ports: tuple[int, ...] = (7581, 7582)
    balancer_port: int = 7590
    osd_size_gb: int = 20
    placement_groups: int = 16

    @property
    def conf(self) -> Path:
        return self.base / "ceph.conf"

    @property
    def state_file(self) -> Path:
        return self.base / "processes.json"

    @property
    def endpoint(self) -> str:
        """The one S3 address clients use: the balancer."""
        return f"http://127.0.0.1:{self.balancer_port}"

    @property
    def gateways(self) -> int:
        return len(self.gateway_ports)

    def gateway_port(self, index: int) -> int:
        return self.gateway_ports[index]


def missing_commands() -> list[str]:
    return [c for c in COMMANDS if shutil.which(c) is None]


def _ceph(config: StorageClusterConfig, *args: str, timeout: float = 60) -> str:
    """Run the ceph admin CLI against this cluster; its stdout, or StorageClusterError with its stderr."""
    command = ["ceph", "-c", str(config.conf), "--connect-timeout", "10", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise StorageClusterError(f"`ceph {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return done.stdout


def _run(*command: str) -> str:
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise StorageClusterError(f"`{' '.join(command[:3])} ...` failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return done.stdout


def _conf_text(config: StorageClusterConfig, fsid: str) -> str:
    base = config.base
    return f"""[global]
fsid = {fsid}
mon initial members = a
mon host = [v2:127.0.0.1:{config.mon_port_v2},v1:127.0.0.1:{config.mon_port}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = {base}/keyring.admin
run dir = {base}/run
admin socket = {base}/run/$cluster-$name.asok
pid file = {base}/run/$cluster-$name.pid
log file = {base}/log/$cluster-$name.log
crash dir = {base}/crash
osd pool default size = {config.replicas}
osd pool default min size = {config.min_size}
osd pool default pg num = {config.placement_groups}
osd pool default pgp num = {config.placement_groups}
osd pool default pg autoscale mode = off
# every OSD is a node here: copies go to different OSDs, and peers on the same machine count as reporters
osd crush chooseleaf type = 0
mon osd reporter subtree level = osd
mon osd min down reporters = 1
# a dead OSD is noticed in seconds, not the default 20 s; it is never marked out during a short outage
osd heartbeat interval = 1
osd heartbeat grace = 5
mon osd down out interval = 600
mon allow pool delete = true
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
osd memory target = 805306368
osd op num shards = 1
osd op num threads per shard = 2
bluestore cache autotune = true

[mon]
mon data = {base}/mon/$cluster-$id

[mgr]
mgr data = {base}/mgr/$cluster-$id
keyring = {base}/mgr/$cluster-$id/keyring

[osd]
osd data = {base}/osd/$cluster-$id
keyring = {base}/osd/$cluster-$id/keyring
osd objectstore = bluestore
osd crush update on start = true
bluestore block create = true
bluestore block size = {config.osd_size_gb * 1024**3}
bluestore fsck on mount = false
bluestore fsck on mkfs = false

[client.rgw]
rgw data = {base}/rgw
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
"""


def _nginx_conf(config: StorageClusterConfig) -> str:
    servers = "\n".join(
        f"        server 127.0.0.1:{config.gateway_port(i)} max_fails=1 fail_timeout=5s;" for i in range(config.gateways)
    )
    base = config.base / "balancer"
    return f"""daemon off;
worker_processes 1;
user root;
pid {base}/nginx.pid;
error_log {base}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {base}/body;
    proxy_temp_path {base}/proxy;
    upstream gateways {{
        least_conn;
{servers}
    }}
    server {{
        listen 127.0.0.1:{config.balancer_port};
        ignore_invalid_headers off;
        client_max_body_size 0;
        proxy_buffering off;
        proxy_request_buffering off;
        location / {{
            proxy_set_header Host $http_host;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://gateways;
        }}
    }}
}}
"""


class StorageCluster:
    """The cluster described by `config`: bootstrap once, start, kill and restart daemons, read its health."""

    def __init__(self, config: StorageClusterConfig = StorageClusterConfig()) -> None:
        self.config = config

    # ---- credentials -------------------------------------------------------------------------------------------
    @property
    def _credentials_file(self) -> Path:
        return self.config.base / "secrets" / "s3.json"

    def credentials(self) -> tuple[str, str]:
        """The S3 user's access key and secret, made at bootstrap."""
        found = json.loads(self._credentials_file.read_text())
        return found["access_key"], found["secret_key"]

    def _recorded(self) -> dict[str, Started]:
        return {p.name: p for p in read_started(self.config.state_file)}

    def _record(self, started: Started) -> None:
        recorded = self._recorded()
        recorded[started.name] = started
        record_started(self.config.state_file, list(recorded.values()))

    def running(self, name: str) -> bool:
        process = self._recorded().get(name)
        return process is not None and alive(process)

    def _start(self, name: str, command: list[str]) -> Started:
        if self.running(name):
            return self._recorded()[name]
        started = start_process(name, command, dict(os.environ), self.config.base / "log", cwd=self.config.base)
        self._record(started)
        return started

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Stop one daemon at once (SIGKILL: a node that dies, not one that says goodbye)."""
        process = self._recorded().get(name)
        if process is None or not alive(process):
            raise StorageClusterError(f"{name} is not running")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + 30
        while alive(process) and time.monotonic() < deadline:
            time.sleep(0.1)

    # ---- bootstrap ---------------------------------------------------------------------------------------------
    def _bootstrap(self) -> None:
        config, base = self.config, self.config.base
        for folder in ("run", "log", "mon", "mgr/ceph-x", "rgw", "crash", "balancer", "secrets"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        fsid = str(uuid.uuid4())
        config.conf.write_text(_conf_text(config, fsid))
        _run("ceph-authtool", "--create-keyring", str(base / "keyring.mon"), "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        admin = str(base / "keyring.admin")
        _run(
            "ceph-authtool", "--create-keyring", admin, "--gen-key", "-n", "client.admin",
            "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *", "--cap", "mds", "allow *",
        )  # fmt: skip
        _run("ceph-authtool", str(base / "keyring.mon"), "--import-keyring", admin)
        address = f"[v2:127.0.0.1:{config.mon_port_v2},v1:127.0.0.1:{config.mon_port}]"
        _run("monmaptool", "--create", "--fsid", fsid, "--addv", "a", address, str(base / "monmap"))
        _run(
            "ceph-mon",
            "-c",
            str(config.conf),
            "--mkfs",
            "-i",
            "a",
            "--monmap",
            str(base / "monmap"),
            "--keyring",
            str(base / "keyring.mon"),
        )

    def _create_osd(self, index: int) -> None:
        osd_uuid = str(uuid.uuid4())
        created = _ceph(self.config, "osd", "new", osd_uuid).strip()
        if created != str(index):
            raise StorageClusterError(f"the monitor numbered the new OSD {created}, expected {index}")
        folder = self.config.base / "osd" / f"ceph-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        conf = str(self.config.conf)
        _run("ceph-osd", "-c", conf, "--no-mon-config", "-i", str(index), "--mkfs", "--mkkey", "--osd-uuid", osd_uuid)
        _ceph(
            self.config, "auth", "add", f"osd.{index}", "osd", "allow *", "mon", "allow profile osd", "mgr", "allow profile osd",
            "-i", str(folder / "keyring"),
        )  # fmt: skip

    def _create_pools_and_user(self) -> None:
        for pool in RGW_POOLS:
            _ceph(
                self.config, "osd", "pool", "create", pool, str(self.config.placement_groups), str(self.config.placement_groups)
            )
            _ceph(self.config, "osd", "pool", "application", "enable", pool, "rgw")
        for index in range(self.config.gateways):
            keyring = self.config.base / "rgw" / f"keyring.{index}"
            _ceph(
                self.config,
                "auth",
                "get-or-create",
                f"client.rgw.gw{index}",
                "mon",
                "allow rw",
                "osd",
                "allow rwx",
                "-o",
                str(keyring),
            )
        _ceph(
            self.config,
            "auth",
            "get-or-create",
            "mgr.x",
            "mon",
            "allow profile mgr",
            "osd",
            "allow *",
            "mds",
            "allow *",
            "-o",
            str(self.config.base / "mgr" / "ceph-x" / "keyring"),
        )

    def _create_s3_user(self) -> None:
        access, secret = secrets.token_hex(10).upper(), secrets.token_hex(20)
        _run(
            "radosgw-admin", "-c", str(self.config.conf), "user", "create", "--uid=citylake", "--display-name=CityLake",
            f"--access-key={access}", f"--secret-key={secret}",
        )  # fmt: skip
        self._credentials_file.write_text(json.dumps({"access_key": access, "secret_key": secret}))
        self._credentials_file.chmod(0o600)

    # ---- daemons -----------------------------------------------------------------------------------------------
    def start_osd(self, index: int) -> Started:
        return self._start(f"osd.{index}", ["ceph-osd", "-c", str(self.config.conf), "-i", str(index), "-f"])

    def start_gateway(self, index: int) -> Started:
        port = self.config.gateway_port(index)
        command = [
            "radosgw", "-c", str(self.config.conf), "-n", f"client.rgw.gw{index}", "-f",
            "--keyring", str(self.config.base / "rgw" / f"keyring.{index}"),
            # tcp_nodelay: without it, Beast's small replies wait for the client's delayed ACK (~40 ms each)
            "--rgw-frontends", f"beast endpoint=127.0.0.1:{port} tcp_nodelay=1",
        ]  # fmt: skip
        return self._start(f"gateway.{index}", command)

    def gateway_answers(self, index: int) -> bool:
        return _answers(f"http://127.0.0.1:{self.config.gateway_port(index)}/")

    def start(self, timeout: float = 300) -> None:
        """Bootstrap on the first start, start every daemon not running, and wait until the cluster is whole:
        every OSD up, every placement group active+clean, every gateway and the balancer answering."""
        missing = missing_commands()
        if missing:
            raise StorageClusterError(
                f"missing {', '.join(missing)}: install Debian's packages first "
                f"(apt-get install --no-install-recommends {' '.join(PACKAGES)}), as `make scale-demo` does"
            )
        first_boot = not self.config.conf.exists()
        if first_boot:
            self._bootstrap()
        conf = str(self.config.conf)
        mon = self._start("mon", ["ceph-mon", "-c", conf, "-i", "a", "-f"])
        wait_until("the Ceph monitor", lambda: _quiet(lambda: _ceph(self.config, "mon", "stat")), 60, [mon])
        if first_boot:
            for index in range(self.config.osds):
                self._create_osd(index)
            self._create_pools_and_user()
        self._start("mgr", ["ceph-mgr", "-c", conf, "-i", "x", "-f"])
        for index in range(self.config.osds):
            self.start_osd(index)
        gateways = [self.start_gateway(index) for index in range(self.config.gateways)]
        if first_boot:
            wait_until("the first gateway", lambda: self.gateway_answers(0), 120, gateways)
            self._create_s3_user()
        self._start("balancer", ["nginx", "-c", str(self._write_balancer_conf()), "-p", str(self.config.base / "balancer")])
        self.wait_whole(timeout)

    def _write_balancer_conf(self) -> Path:
        path = self.config.base / "balancer" / "nginx.conf"
        path.write_text(_nginx_conf(self.config))
        return path

    def wait_whole(self, timeout: float = 300) -> float:
        """Wait until every OSD is up and in, every placement group active+clean and every gateway answers; the
        seconds it took."""
        started = time.monotonic()
        processes = list(self._recorded().values())
        wait_until("the storage cluster to be whole (all OSDs up, all PGs active+clean)", self.whole, timeout, processes)
        return time.monotonic() - started

    def wait_settled(self, timeout: float = 180) -> float:
        """Wait until every placement group is active again (done peering) after a daemon was lost: the cluster
        serves every object from the OSDs left, degraded or not; the seconds it took."""
        started = time.monotonic()
        processes = [process for process in self._recorded().values() if alive(process)]
        wait_until("every placement group to be active (peering over)", self.settled, timeout, processes)
        return time.monotonic() - started

    def settled(self) -> bool:
        try:
            states = self.placement_groups()
        except (StorageClusterError, subprocess.TimeoutExpired):
            return False
        return bool(states) and all(state.startswith("active") for state in states)

    def whole(self) -> bool:
        try:
            up = self.osds_up()
            states = self.placement_groups()
        except (StorageClusterError, subprocess.TimeoutExpired):
            return False
        return (
            up == self.config.osds
            and set(states) == {"active+clean"}
            and all(self.gateway_answers(i) for i in range(self.config.gateways))
            and _answers(self.config.endpoint + "/")
        )

    def osds_up(self) -> int:
        return int(json.loads(_ceph(self.config, "osd", "stat", "-f", "json"))["num_up_osds"])

    def placement_groups(self) -> dict[str, int]:
        """How many placement groups are in each state, as the manager reports them (e.g. {"active+clean": 112})."""
        summary = json.loads(_ceph(self.config, "pg", "stat", "-f", "json"))
        by_state = summary.get("pg_summary", summary).get("num_pg_by_state", [])
        return {entry["name"]: int(entry["num"]) for entry in by_state}

    def stop(self) -> list[str]:
        """Stop every daemon `start()` started (gateways and balancer first, the monitor last)."""
        return stop_recorded(self.config.state_file)

    def purge(self) -> None:
        """Stop and delete the cluster's data."""
        self.stop()
        shutil.rmtree(self.config.base, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3):
            return True
    except urllib.error.HTTPError:
        return True  # an S3 error page is an answer
    except OSError:
        return False


def _quiet(check) -> bool:
    try:
        check()
        return True
    except (StorageClusterError, subprocess.TimeoutExpired):
        return False
