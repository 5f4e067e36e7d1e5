"""The Dask cluster: the configured scheduler, else a LocalCluster sized to the machine."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines.config import Settings

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536 (to hand memory back to the OS). Setting it
# switches off glibc's adaptive mmap threshold, so every numpy/Arrow temporary over 128 KiB is a fresh mmap that
# page-faults in and is unmapped when freed: the same itemset search ran 2x slower in a worker than in a plain
# process on this machine (benchmarks/README.md). CityLake's workers keep glibc's defaults, as every other process.
# numpy asks the kernel for transparent huge pages on every array over 4 MiB (madvise); where the kernel's THP defrag
# is "madvise" (Debian's and Ubuntu's default), each such page fault may first compact memory, and two workers
# faulting at once wait on each other: standardizing a fresh 1.25M-row file took 3.8 s with it, 1.45 s without.
WORKER_NANNY_ENVIRON: dict[str, str | None] = {"MALLOC_TRIM_THRESHOLD_": None, "NUMPY_MADVISE_HUGEPAGE": "0"}

# How long the scheduler waits for a heartbeat from a worker that went silent (its host cut off or powered down)
# before it gives the worker's tasks to the others. Dask's default is 5 minutes, during which a job waits on a
# host that is gone; 60 s stays well above a heartbeat held up by a busy worker (make scale-demo: pipelines/scaleout).
WORKER_TTL = "60s"


# How long a LocalCluster waits for a lost worker to come back before it closes the worker's nanny for good. Dask's
# 15 s is meant for batch-queue clusters; a LocalCluster's nanny restarts its own worker. Each loss starts a timer
# that fires this much later and closes the nanny if no worker of that name is registered at that moment, also when
# the worker came back in between and is restarting after a second loss: with 15 s, two worker losses 15 s apart
# (or one restart slower than 15 s on a busy machine) left the cluster a worker short for good (seen on this machine).
LOST_WORKER_TIMEOUT = "15 minutes"


def cluster_config(worker_ttl: str = WORKER_TTL) -> dict[str, object]:
    """The Dask settings of CityLake's schedulers and workers, for dask.config.set (a LocalCluster's)."""
    nanny = {f"distributed.nanny.pre-spawn-environ.{name}": value for name, value in WORKER_NANNY_ENVIRON.items()}
    return {
        **nanny,
        "distributed.scheduler.worker-ttl": worker_ttl,
        "distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT,
    }


def cluster_environment(worker_ttl: str = WORKER_TTL) -> dict[str, str]:
    """The same settings as environment for `dask scheduler` and `dask worker` processes (read by dask.config at
    their start): `make up`, the worker hosts of make scale-demo and infra/docker-compose.yml set these."""
    return {
        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": repr(WORKER_NANNY_ENVIRON),
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": worker_ttl,
    }


def scheduler_workers(address: str, timeout: float) -> int:
    """How many workers the Dask scheduler at `address` has; OSError (TimeoutError) when it cannot be reached."""
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        return len(client.scheduler_info()["workers"])


def scheduler_state(address: str, timeout: float) -> tuple[int | None, str]:
    """(workers, what an operator reads) of the scheduler at `address`; workers is None when it cannot be reached."""
    try:
        workers = scheduler_workers(address, timeout)
    except Exception as exc:  # unreachable, refused, timed out: the finding itself
        return None, f"cannot reach the scheduler at {address}: {type(exc).__name__}: {exc}"
    if workers == 0:
        return 0, f"scheduler {address} has no workers: tasks would wait forever"
    return workers, f"scheduler {address} with {workers} worker(s)"


class WorkersDied(RuntimeError):
    """A task killed every worker that ran it (most often by exceeding the memory limit)."""


@contextmanager
def dask_client(settings: Settings) -> Iterator[distributed.Client]:
    """A Dask client for the duration of a job; a LocalCluster is started and stopped with it."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.comm.timeouts.connect": f"{int(settings.io_timeout_seconds)}s", **cluster_config()})
    if settings.dask_scheduler_address:
        log.info("connecting to the Dask scheduler at %s", settings.dask_scheduler_address)
        with Client(settings.dask_scheduler_address, timeout=settings.io_timeout_seconds) as client:
            yield client
        return
    workers = settings.dask_workers or max(1, min(os.cpu_count() or 1, 8))
    log.info("starting a Dask LocalCluster: %d workers x %d threads", workers, settings.dask_threads_per_worker)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=settings.dask_threads_per_worker,
            processes=True,
            memory_limit=settings.dask_memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def task_key(function: str, index: int) -> str:
    """The key of map_with_progress's task for item `index`: `<function>-<index>-<random>` (the Dask dashboard and
    `client.processing()` show which function and item a task runs; the random part keeps reruns apart)."""
    return f"{function}-{index}-{os.urandom(4).hex()}"


def runs_function(key: object, function: str) -> bool:
    """Whether a task key of map_with_progress's belongs to a task of `function`."""
    return str(key).rsplit("-", 2)[0] == function


# A task whose result was lost before the client fetched it (the worker holding it was cut off or died), or whose
# shared input was lost with the last worker holding it, comes back cancelled; it runs again, at most this many times.
RESUBMITS = 3


@dataclass(frozen=True)
class Shared:
    """An argument every task of a map reads (a panel, a series): sent to the cluster once, not with every task.

    It goes to one worker; a task on another worker fetches it from there once (Dask moves a task's inputs). It is
    not broadcast: Dask's broadcast copies through the scheduler's `replicate`, which keeps retrying a worker that
    died during the copy and never returns (reproduced: a worker killed during a broadcast of 400 MB hung the
    job). The copy can go with the worker that holds it: map_with_progress then sends it again from here."""

    value: object


class SharedInputNotSent(RuntimeError):
    """A map's shared input could not be sent: every attempt lost the worker it was sent to."""


def send_shared(client: distributed.Client, shared: Shared, function: str) -> distributed.Future[Any]:
    """`shared`'s value onto one worker of the cluster, as a future. A worker that leaves while it receives the data
    fails the transfer (a closed connection, or the scheduler no longer knowing the worker): it is sent again, to
    the workers still there, up to RESUBMITS more times."""
    attempt = 0
    while True:
        try:
            sent: distributed.Future[Any] = client.scatter([shared.value], hash=False)[0]  # [ ]: a dict stays one value
            return sent
        except (OSError, KeyError) as exc:  # CommClosedError is an OSError; KeyError: the worker left the scheduler
            if attempt == RESUBMITS:
                raise SharedInputNotSent(
                    f"the shared input of {function} could not be sent to the workers in {RESUBMITS + 1} attempts: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            attempt += 1
            log.warning(
                "sending a shared input of %s failed (%s: %s): a worker left during the transfer; sending it again (%d/%d)",
                function,
                type(exc).__name__,
                exc,
                attempt,
                RESUBMITS,
            )


def map_with_progress(
    client: distributed.Client,
    func: Callable[..., R],
    items: Sequence[T],
    describe: Callable[[T], str],
    *args: object,
) -> list[R]:
    """Run `func(item, *args)` for every item on the workers, logging each as it finishes; results in input order.
    A `Shared` argument is sent to the workers once and reaches `func` as its value. A task whose result or shared
    input was lost with a worker runs again (up to RESUBMITS times)."""
    from distributed import KilledWorker, as_completed
    from distributed.client import FutureCancelledError

    if not items:
        return []
    scattered: dict[int, distributed.Future[Any]] = {}

    def arguments() -> list[object]:
        """`args` with each Shared one as a future of its data on the workers, sent (again) where it is not there."""
        for i, arg in enumerate(args):
            if isinstance(arg, Shared) and (i not in scattered or scattered[i].status != "finished"):
                if i in scattered:
                    log.warning("the workers holding a shared input of %s are gone: sending it again", func.__name__)
                scattered[i] = send_shared(client, arg, func.__name__)
        return [scattered.get(i, arg) for i, arg in enumerate(args)]

    def submit(index: int) -> distributed.Future[R]:
        return client.submit(func, items[index], *arguments(), pure=False, key=task_key(func.__name__, index))

    futures = [submit(i) for i in range(len(items))]
    order = {f.key: i for i, f in enumerate(futures)}
    again = [0] * len(items)
    results: list[R | None] = [None] * len(items)
    pending = as_completed(futures)
    done = 0
    try:
        for future in pending:
            index = order[future.key]
            try:
                results[index] = future.result()
            except FutureCancelledError:
                if again[index] >= RESUBMITS:
                    raise
                again[index] += 1
                log.warning(
                    "%s: lost with a worker (its result or an input it needed); running it again (%d/%d)",
                    describe(items[index]),
                    again[index],
                    RESUBMITS,
                )
                resubmitted = submit(index)
                order[resubmitted.key] = index
                futures.append(resubmitted)
                pending.add(resubmitted)
                continue
            done += 1
            log.info("[%d/%d] %s done", done, len(items), describe(items[index]))
    except KilledWorker as exc:
        client.cancel(futures)
        what = describe(items[order[exc.task]]) if exc.task in order else str(exc.task)
        raise WorkersDied(
            f"{what}: every worker that ran it died ({exc}). The usual cause is memory: a worker is killed at 95 % "
            "of its memory limit (CITYLAKE_DASK_MEMORY_LIMIT, or the cluster's --memory-limit). Lower CITYLAKE_CHUNK_MIB "
            "so that large files are read in chunks, or give the workers more memory."
        ) from exc
    except BaseException:
        client.cancel(futures)
        raise
    return results  # type: ignore[return-value]
