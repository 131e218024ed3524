"""A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` from Debian's packages
(/usr/lib/postgresql/*/bin) in a temporary folder, listening on a free port on 127.0.0.1 with
its unix socket inside that folder. No system service is used or touched.

PostgreSQL refuses to run as root, so when the tests run as root the cluster's processes run
as the `postgres` system user (the Debian package creates it) and the folder is handed to it.
fsync stays on (the tests check what survives a commit); only settings that cost nothing in
durability are relaxed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.ports import free_port

SUPERUSER = "hurrinet"  # the cluster's own superuser, trusted on 127.0.0.1 only
REQUIRE_ENV = "HURRINET_REQUIRE_POSTGRES"  # set by .ci/run: a missing PostgreSQL fails, never skips
BIN_ENV = "HURRINET_POSTGRES_BIN"  # PostgreSQL's bin folder where it is not Debian's (e.g. Homebrew's)
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "on",
    "synchronous_commit": "on",
    "max_connections": "200",  # every live server in a test holds a pool
    "shared_buffers": "32MB",
    "wal_level": "minimal",  # no replication here: less WAL per CREATE DATABASE
    "max_wal_senders": "0",
    "log_min_messages": "warning",
    # Not UTC, so a time stored or read through the session's zone by mistake shows up in tests.
    "timezone": "America/St_Lucia",
}
# A test module whose servers should run on both databases: `pytestmark = both_backends`. Its
# tests that use the `server_database` fixture (tests/conftest.py; `live_server`, `desk`) run
# once on SQLite and once on PostgreSQL; the others run once (tests/conftest.py parametrizes).
both_backends = pytest.mark.both_backends
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's binaries (or the user to run them as) are not on this machine."""


def find_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder (or the one HURRINET_POSTGRES_BIN names)."""
    if os.environ.get(BIN_ENV):
        chosen = Path(os.environ[BIN_ENV])
        if not (chosen / "initdb").is_file():
            raise PostgresUnavailable(f"{BIN_ENV}={chosen} has no initdb")
        return chosen
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)  # fmt: skip
    if not candidates:
        raise PostgresUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
                                  "apt-get install postgresql)")  # fmt: skip
    return candidates[-1].parent



def _run_as() -> list[str]:
    """The prefix that runs a PostgreSQL binary as a non-root user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("tests run as root and there is no `postgres` user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PostgresCluster:
    root: Path
    port: int
    bin_dir: Path
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str) -> str:
        """As an operator writes it in HURRINET_DATABASE_URL."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _pg(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [*_run_as(), str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> None:
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
        self._pg("pg_ctl", "start", "--wait", "-D", str(self.data), "-l", str(self.log),
                 "-o", f"-p {self.port} -k {self.sockets} {options}")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "stop", "--wait", "-D", str(self.data), "-m", mode)

    def restart(self) -> None:
        """What a server sees when the database is restarted under it."""
        self.stop()
        self.start()

    def admin(self, *statements: str) -> None:
        """Statements that cannot run in a transaction (CREATE/DROP DATABASE), as the superuser."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:  # fmt: skip
            for statement in statements:
                conn.execute(statement)

    def create_database(self, prefix: str = "db", template: str = "template0") -> str:
        """A new, empty (or `template`'s copy) database; returns its name."""
        name = f"{prefix}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PREFIX = "hurrinet-pg-"
OWNER = "owner.pid"  # the test process a cluster belongs to


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans(bin_dir: Path) -> None:
    """Stop and remove clusters whose test process died without its teardown (killed, timed
    out), so a machine does not collect running PostgreSQL servers run after run."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((root / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or still being made
        if _alive(owner):
            continue
        if (root / "data" / "postmaster.pid").exists():
            PostgresCluster(root, 0, bin_dir).stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    """initdb and start a cluster in a fresh temporary folder; `stop_cluster` removes it."""
    bin_dir = find_bin_dir()
    prefix = _run_as()
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        reap_orphans(bin_dir)
    # Not pytest's tmp_path: its parents are root's 0700 folders the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / OWNER).write_text(str(os.getpid()))
    (root / "sockets").mkdir()
    if prefix:
        for path in (root, root / "sockets"):
            shutil.chown(path, "postgres", "postgres")
    cluster = PostgresCluster(root, free_port(), bin_dir)
    try:
        # --no-sync: initdb's own files need no fsync (a crash here just fails the run);
        # the server itself runs with fsync on.
        cluster._pg("initdb", "-D", str(cluster.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                    "--no-locale", "--no-sync", "--no-instructions")  # fmt: skip
        for attempt in range(3):
            try:
                cluster.start()
                break
            except RuntimeError:  # another process took the port between the probe and the start
                if attempt == 2:
                    raise
                cluster.port = free_port()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster


def stop_cluster(cluster: PostgresCluster) -> None:
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        cluster.stop("immediate")  # its data is thrown away: no checkpoint needed
    shutil.rmtree(cluster.root, ignore_errors=True)


def start_cluster_for_tests() -> PostgresCluster:
    """`start_cluster`, or skip naming why, or fail under HURRINET_REQUIRE_POSTGRES=1 (.ci/run),
    so CI can never skip the PostgreSQL tests silently."""
    try:
        import psycopg  # noqa: F401

        return start_cluster()
    except (PostgresUnavailable, ImportError) as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but unusable: {error}", pytrace=False)
        pytest.skip(f"PostgreSQL tests need PostgreSQL and psycopg: {error}")
