"""Short-lived child processes of the service: `ccn-graph` commands (the dumps builder, a query
over the graph as it was) that die with the process that started them and may run at a lower
CPU priority."""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import IO

__all__ = ["TimeoutExpired", "run_ccn_graph"]

TimeoutExpired = subprocess.TimeoutExpired


def run_ccn_graph(args: list[str], *, env: dict[str, str], nice: int = 0, input: bytes | None = None,
                  stdout: IO | int = subprocess.DEVNULL, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``ccn-graph {args}`` and wait for it: its stderr is captured, `input` goes to its
    stdin. It is killed if the calling process dies (Linux), and when `timeout` passes
    (`TimeoutExpired` then)."""
    command = [sys.executable, "-m", "ccn_graph.cli", *args]
    if nice and (nice_bin := shutil.which("nice")):
        command = [nice_bin, "-n", str(nice), *command]
    setpriv = shutil.which("setpriv")
    if setpriv and sys.platform.startswith("linux"):
        command = [setpriv, "--pdeathsig", "KILL", "--", *command]
    return subprocess.run(command, env=env, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                          stdout=stdout, stderr=subprocess.PIPE, timeout=timeout, check=False)
