"""The output writer never replaces what is not a regular file (a device, a FIFO)."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from conftest import write

import packer
from packer.output import atomic_text


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod of a device needs root")
def test_a_device_is_written_through_not_replaced(tmp_path):
    null = tmp_path / "null"  # a node of its own: never the machine's /dev/null
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write(tmp_path / "repo", {"a.py": "x = 1\n"})
    packer.pack(tmp_path / "repo", output=null, manifest=null, cache=False)
    with atomic_text(null) as f:
        f.write("more\n")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".null.")]  # no temp file left


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    write(tmp_path / "repo", {"a.py": "x = 1\n"})
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    packer.pack(tmp_path / "repo", output=fifo, cache=False)
    reader.join(timeout=20)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and b"x = 1" in got[0] and got[0].startswith(b"<pack>")
