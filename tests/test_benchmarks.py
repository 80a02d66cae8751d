"""The benchmark harness keeps its contract (no figure is asserted here: figures come from `make bench`).

* benchmarks/run.py picks up whatever benchmarks/bench_*.py exist, reads the JSON
  rows of each script's last stdout line, and turns a failing or silent script
  into a row that says so;
* bench_prep.py's identical-results check runs end to end on a small generated list;
* the generator is seeded.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}_mod", BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


run = _load("run")


def test_run_discovers_every_bench_script() -> None:
    names = [p.name for p in run.discover()]
    assert "bench_prep.py" in names and "bench_big_list.py" in names
    assert names == sorted(names) and all(n.startswith("bench_") for n in names)
    assert [p.name for p in run.discover(["prep"])] == ["bench_prep.py"]


def test_run_collects_rows_and_reports_a_broken_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "bench_good.py"
    good.write_text(
        'import json\nprint("note")\nprint(json.dumps([{"figure": "f", "dialkit": "1 s", "baseline": "2 s", '
        '"ratio": "2.0x", "target": "<= 1 s", "met": True}]))\n'
    )
    bad = tmp_path / "bench_bad.py"
    bad.write_text('print("no rows here")\n')
    crash = tmp_path / "bench_crash.py"
    crash.write_text('raise SystemExit("boom")\n')
    monkeypatch.setattr(run, "HERE", tmp_path)
    assert run.run_script(good, quick=True)[0]["met"] is True
    for script in (bad, crash):
        rows = run.run_script(script, quick=True)
        assert len(rows) == 1 and rows[0]["met"] is False and "FAILED" in rows[0]["dialkit"]


def test_table_has_every_column_and_a_row_per_figure() -> None:
    rows = [
        {"figure": "a", "dialkit": "1 s", "baseline": "-", "ratio": "-", "target": "<= 2 s", "met": True},
        {"figure": "bb", "dialkit": "3 s", "baseline": "-", "ratio": "-", "target": "<= 2 s", "met": False},
    ]
    text = run.table(rows)
    lines = text.splitlines()
    assert lines[0].split("|")[1].strip() == "figure" and len(lines) == 4
    assert "| yes" in lines[2] and "| NO" in lines[3]
    with pytest.raises(ValueError):
        run.parse_rows('[{"figure": "x"}]')


def test_generator_is_seeded() -> None:
    gen = _load("gen_contacts")
    assert gen.generate_lines(500, seed=3) == gen.generate_lines(500, seed=3)
    assert gen.generate_lines(500, seed=3) != gen.generate_lines(500, seed=4)


@pytest.mark.slow
def test_bench_prep_quick_run_keeps_the_contract_and_finds_identical_results() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_prep.py"), "--rows", "3000"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {tuple(sorted(r)) for r in rows} == {tuple(sorted(run.COLUMNS))}
    same = [r for r in rows if "same rows" in r["figure"]]
    assert same and same[0]["dialkit"] == "identical" and same[0]["met"] is True


@pytest.mark.slow
def test_bench_records_quick_run_keeps_the_contract_and_finds_identical_counts() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_records.py"), "--rows", "3000", "--big-rows", "0"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {tuple(sorted(r)) for r in rows} == {tuple(sorted(run.COLUMNS))}
    same = [r for r in rows if "same contacts" in r["figure"]]
    assert same and same[0]["dialkit"] == "identical" and same[0]["met"] is True
