"""Run a reader in a fresh interpreter under a wall-clock limit and (optionally) an address-space limit.

The child imports what it needs first, then caps its address space at what it has mapped plus
``extra_mb`` (``resource.setrlimit(RLIMIT_AS)``), so an allocation of what a damaged file claims fails
there instead of taking the machine's memory; it prints its peak RSS growth after the imports. A child
still running after ``timeout`` seconds is a hang: the test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = """
import resource, sys
def _vm_bytes():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
def _rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def limit_memory(extra_mb):
    if extra_mb:
        cap = _vm_bytes() + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    global _RSS0
    _RSS0 = _rss_kb()
def report_peak():
    print(f"PEAK_GROWTH_MB={(_rss_kb() - _RSS0) / 1024:.1f}")
"""


def run_bounded(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``PRELUDE + code`` with ``args``; the code calls ``limit_memory(MB)`` after its imports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    try:
        return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args], capture_output=True,
                              text=True, check=False, timeout=timeout, env=env, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: still running after {timeout} s")


def peak_growth_mb(proc: subprocess.CompletedProcess) -> float:
    """The child's peak RSS growth after its imports, as printed by ``report_peak()``."""
    for line in proc.stdout.splitlines():
        if line.startswith("PEAK_GROWTH_MB="):
            return float(line.split("=", 1)[1])
    raise AssertionError(f"the child printed no peak: rc={proc.returncode} stdout={proc.stdout[-500:]!r} "
                         f"stderr={proc.stderr[-2000:]!r}")


def npz_with_bomb(npz: bytes, member: str, values: int, descr: str = "<i8") -> bytes:
    """``npz`` with its ``member`` entry replaced by ``values`` zeros of ``descr``, deflated (about 1000:1): a zip
    bomb whose npy header is honest about the inflated size."""
    import io
    import zipfile

    import numpy as np

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info.filename, src.read(info))
                continue
            with dst.open(member, "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(fh, {"descr": descr, "fortran_order": False, "shape": (values,)})
                zeros, left = bytes(1 << 20), values * np.dtype(descr).itemsize
                while left:
                    fh.write(zeros[:left])
                    left -= min(left, len(zeros))
    return out.getvalue()
