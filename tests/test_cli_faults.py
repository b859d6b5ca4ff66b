"""Machine faults made real — a lock held by another process, a full disk, a read-only file
or folder, damaged pages, too little memory — each end in one Chinese line, exit 2, no
traceback, and leave the data as it was.

Tests run as root, for whom chmod does not make anything read-only: read-only means an
immutable file or folder (``chattr +i``) here; the full disk is a small tmpfs. Where the
machine does not allow that (no CAP_SYS_ADMIN / CAP_LINUX_IMMUTABLE) the test is skipped
and says why.
"""

import contextlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def edubridge(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "desktop.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, check=False, **kwargs)


def last_line_only(result):
    """Exit 2, no traceback, and the failure is one ``edubridge: …`` line (the last on stderr)."""
    lines = result.stderr.splitlines()
    return result.returncode == 2 and "Traceback" not in result.stderr and lines and lines[-1].startswith("edubridge: ")


def rows(path, table="teacher"):
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture(scope="module")
def world(demo_db_file, tmp_path_factory):
    """A schools-only store and the demo's teacher roster to import into it."""
    folder = tmp_path_factory.mktemp("faults")
    assert edubridge("--db", demo_db_file, "export", "schools", folder / "schools.xlsx").returncode == 0
    assert edubridge("--db", demo_db_file, "export", "teachers", folder / "teachers.xlsx").returncode == 0
    assert edubridge("--db", folder / "schools.db", "import", "schools", folder / "schools.xlsx").returncode == 0
    with contextlib.closing(sqlite3.connect(folder / "schools.db")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@contextlib.contextmanager
def immutable(path):
    """``path`` read-only even for root, or the test is skipped."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs: a real full disk."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_locked_by_another_process_waits_then_names_it(world, tmp_path):
    db = tmp_path / "x.db"
    shutil.copyfile(world / "schools.db", db)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); c.execute(\"INSERT INTO setting (key, value) VALUES ('x', '1')\"); "
        "print('locked', flush=True); time.sleep(60)"), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = edubridge("--db", db, "import", "teachers", world / "teachers.xlsx")
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert last_line_only(result), result.stderr
    lines = result.stderr.splitlines()
    assert "正在等待" in lines[0]  # said while waiting
    assert f"数据库被进程 {holder.pid}" in lines[-1] and "已等待 5 秒" in lines[-1]
    assert rows(db) == 0


def test_disk_full_during_an_import(world, tiny_disk):
    db = tiny_disk / "x.db"
    shutil.copyfile(world / "schools.db", db)
    result = edubridge("--db", db, "import", "teachers", world / "teachers.xlsx")
    assert last_line_only(result), result.stderr
    assert "磁盘空间不足" in result.stderr
    assert rows(db) == 0 and rows(db, "school") == 123
    assert edubridge("--db", db, "stats").returncode == 0  # still usable


def test_disk_full_writing_an_export(world, tiny_disk):
    filler = tiny_disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 65536)
    result = edubridge("--db", world / "schools.db", "export", "schools", tiny_disk / "out.xlsx")
    assert last_line_only(result), result.stderr
    assert "磁盘空间不足" in result.stderr


def test_read_only_database_file(world, tmp_path):
    db = tmp_path / "x.db"
    shutil.copyfile(world / "schools.db", db)
    with immutable(db):
        result = edubridge("--db", db, "import", "teachers", world / "teachers.xlsx")
    assert last_line_only(result), result.stderr
    assert "数据库文件是只读的" in result.stderr
    assert rows(db) == 0


def test_read_only_output_folder(world, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with immutable(folder):
        result = edubridge("--db", world / "schools.db", "export", "schools", folder / "s.xlsx")
    assert last_line_only(result), result.stderr
    assert "没有权限" in result.stderr and str(folder) in result.stderr


def test_corrupt_file_is_reported_by_check_with_the_way_back(world, tmp_path):
    db = tmp_path / "x.db"
    shutil.copyfile(world / "schools.db", db)
    assert edubridge("--db", db, "backup").returncode == 0
    with sqlite3.connect(db) as connection:  # the school table's pages: in use whatever the schema holds
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        roots = [r for (r,) in connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'school' AND rootpage > 0")]
    connection.close()
    data = bytearray(db.read_bytes())
    for root in roots:  # pages are numbered from 1
        data[(root - 1) * size:root * size] = b"\xff" * size
    db.write_bytes(bytes(data))
    result = edubridge("--db", db, "check")
    assert last_line_only(result) and result.stderr.count("\n") == 1, result.stderr
    assert "数据库文件已损坏" in result.stderr and f"edubridge --db {db} restore " in result.stderr
    backup = result.stderr.rsplit("restore ", 1)[1].strip()
    assert edubridge("--db", db, "restore", backup).returncode == 0
    assert edubridge("--db", db, "check").returncode == 0


def test_out_of_memory(tmp_path):
    """An address-space limit a little above what start-up needs: building the demo runs out."""
    db = tmp_path / "x.db"

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (100 * 2**20, 100 * 2**20))

    try:
        result = edubridge("--db", db, "demo", "--scale", "county", preexec_fn=limit, timeout=180)
    except subprocess.TimeoutExpired:
        # Seen once in a fresh Debian root: at the limit glibc fell back to one mmap per small
        # allocation and the process crawled for minutes without running out.
        pytest.skip("the demo crawled at the memory limit without running out within 180 s")
    if result.returncode == 0:
        pytest.skip("the demo fitted into 100 MiB on this machine")
    assert last_line_only(result), result.stderr
    assert "内存不足" in result.stderr
    assert not db.exists() or rows(db, "school") == 0


def test_backup_and_restore_of_a_server_database_point_to_pg_dump():
    result = edubridge("--db", "postgresql+psycopg://u@127.0.0.1:1/x", "backup")
    assert last_line_only(result) and "pg_dump" in result.stderr
