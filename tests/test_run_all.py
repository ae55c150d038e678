"""bench/run_all.py: every benchmark script is registered, and one command is timed for real."""

from __future__ import annotations

import importlib.util
import json
import sys

from conftest import ROOT

BENCH = ROOT / "bench"


def _load():
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module
    spec.loader.exec_module(module)
    return module


def test_every_bench_script_has_a_command():
    run_all = _load()
    scripts = {p.name for p in BENCH.glob("*.py")} - {"run_all.py"}
    assert scripts == set(run_all.COMMANDS), "register every bench script in run_all.COMMANDS"
    for script, commands in run_all.COMMANDS.items():
        assert commands and all(isinstance(c, list) for c in commands), script
        assert run_all.description(BENCH / script), f"{script} needs a docstring"


def test_run_one_times_a_command_and_lists_what_it_writes(tmp_path):
    run_all = _load()
    bench = tmp_path / "bench"
    (bench / "results").mkdir(parents=True)
    (bench / "demo.py").write_text(
        '"""Write a demo result."""\n'
        "import json, pathlib, sys\n"
        "out = pathlib.Path(__file__).parent / 'results' / 'demo.json'\n"
        "out.write_text(json.dumps({'args': sys.argv[1:]}))\n"
    )
    r = run_all.run_one(bench, "demo.py", ["--x", "1"])
    assert r["returncode"] == 0 and r["writes"] == ["demo.json"]
    assert r["description"] == "Write a demo result."
    assert r["wall_seconds"] > 0 and r["cpu_seconds"] >= 0
    assert json.loads((bench / "results" / "demo.json").read_text()) == {"args": ["--x", "1"]}
    # --threads goes only to scripts that take it
    r = run_all.run_one(bench, "demo.py", [], threads=1)
    assert "--threads" not in r["command"]


def test_likelihood_bench_reproduces_its_committed_settings():
    # Chapter 11 reads bench/results/likelihood.json; rerunning the script must train the same
    # runs, even after a default of TrainConfig changes (max_steps once went from 1500 to 600).
    from dataclasses import asdict

    spec = importlib.util.spec_from_file_location("bench_likelihood", BENCH / "likelihood.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = json.loads((BENCH / "results" / "likelihood.json").read_text(encoding="utf-8"))
    for name in ("char", "bpe", "smooth"):
        want = asdict(module.gpt_train_config(name))
        got = results[name]["train"]
        assert {k: got[k] for k in want} == {**want, "betas": list(want["betas"])}, name
        assert results[name]["steps_done"] == want["max_steps"], name
