"""nivomigrate's own shadow server: started from the installed binaries, reused, and made anew
when its cached cluster will not start."""

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from nivomigrate import shadow
from tests import servers


@pytest.fixture
def cache_dir():
    servers.skip_unless(shadow.server_binaries(), "no PostgreSQL server binaries installed")
    folder = Path(tempfile.mkdtemp(prefix="nivo-shadow-", dir="/var/tmp"))
    folder.chmod(0o755)  # the server's user must reach its data folder
    yield folder
    for data in folder.glob("pg*/data"):
        if (data / "postmaster.pid").exists():
            servers.run_as_server_user([shadow.server_binaries() / "pg_ctl", "-D", data,
                                        "stop", "-m", "immediate"])
    shutil.rmtree(folder, ignore_errors=True)


def _answers(server: shadow.LocalServer) -> bool:
    with psycopg.connect(server.admin_url, connect_timeout=5) as conn:
        return conn.execute("select 1").fetchone() == (1,)


def test_a_cached_cluster_that_will_not_start_is_made_anew(cache_dir):
    server = shadow.local_server(cache_dir)
    assert _answers(server)
    assert shadow.local_server(cache_dir).admin_url == server.admin_url  # reused
    data = next(cache_dir.glob("pg*/data"))
    servers.run_as_server_user([shadow.server_binaries() / "pg_ctl", "-D", data, "stop"])
    (data / "global" / "pg_control").unlink()  # a cluster no server can start
    assert _answers(shadow.local_server(cache_dir))


def test_a_cache_folder_the_server_user_cannot_reach_is_a_config_error(tmp_path):
    import os

    import pytest

    from nivomigrate.errors import ConfigError

    if os.geteuid() != 0:
        pytest.skip("only root hands the server to another user")
    servers.skip_unless(shadow.server_binaries(), "no PostgreSQL server binaries installed")
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="cannot enter") as refused:
        shadow.local_server(closed / "cache")
    assert "NIVOMIGRATE_CACHE_DIR" in refused.value.hint
