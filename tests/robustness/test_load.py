"""The load bound, in the suite: mixed reads at 200 requests/s for 60 s over 10,000 members while
one submission a second is merged (`bench/load.py`, one run; `make load-test` runs it three times
and writes the report). Its figures are printed with the others."""

from __future__ import annotations

import importlib.util

from ..conftest import ROOT


def _load_bench():
    spec = importlib.util.spec_from_file_location("ccn_load_bench", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mixed_reads_at_200_per_second_with_a_merge_a_second(tmp_path):
    bench = _load_bench()
    met, figures, cpu, errors = bench.run(tmp_path)
    assert all(met), ([f"{f.name} {f.value} (bound {f.bound})" for f in figures], cpu, errors[:5])
