"""predcomp.book: glue inside and outside the book build; the benchmark results chapters plot."""

from __future__ import annotations

import io
import json
import re
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from predcomp import book


def test_glue_converts_numpy_scalars_to_python_numbers():
    value = book.glue("x", np.float64(1.25))
    assert type(value) is float and value == 1.25
    assert type(book.glue("n", np.int64(3))) is int


def test_glue_keeps_other_values():
    assert book.glue("s", "text") == "text"
    arr = np.arange(3)
    assert book.glue("a", arr) is arr


def test_table_is_escaped_html_with_one_cell_per_column():
    out = book.table(["a", "b<c"], [[1, "x & y"], ("<b>", 2.5)])
    html = out.data
    assert html.startswith("<table><thead><tr><th>a</th><th>b&lt;c</th></tr></thead>")
    assert "<tr><td>1</td><td>x &amp; y</td></tr>" in html
    assert "<tr><td>&lt;b&gt;</td><td>2.5</td></tr>" in html
    assert html.count("<tr>") == 3
    with pytest.raises(ValueError, match="row 1 has 1 cells, the header 2"):
        book.table(["a", "b"], [[1, 2], [3]])


# --- bench_results: the committed file, or the repository's copy -----------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_bench_results_reads_the_local_file_without_network(tmp_path, monkeypatch):
    (tmp_path / "demo.json").write_text(json.dumps({"a": 1}), encoding="utf-8")

    def no_network(*args, **kwargs):
        raise AssertionError("must not download when the file is there")

    monkeypatch.setattr(book.urllib.request, "urlopen", no_network)
    assert book.bench_results("demo", folder=tmp_path) == {"a": 1}
    assert book.bench_results("missing", folder=tmp_path, download=False) is None


def test_bench_results_downloads_from_the_repository(tmp_path, monkeypatch):
    asked = []

    def fake_urlopen(url, timeout):
        asked.append(url)
        return io.BytesIO(b'{"results": []}')

    monkeypatch.setattr(book.urllib.request, "urlopen", fake_urlopen)
    assert book.bench_results("compressors", folder=tmp_path) == {"results": []}
    assert asked == [f"{book.RAW_BASE}/bench/results/compressors.json"]


@pytest.mark.parametrize(
    "failure", [urllib.error.URLError("offline"), TimeoutError("slow"), None], ids=str
)
def test_bench_results_is_none_when_unavailable(tmp_path, monkeypatch, failure):
    def fake_urlopen(url, timeout):
        if failure is not None:
            raise failure
        return io.BytesIO(b"<html>not json</html>")

    monkeypatch.setattr(book.urllib.request, "urlopen", fake_urlopen)
    assert book.bench_results("compressors", folder=tmp_path) is None


def test_bench_results_names_are_plain():
    with pytest.raises(ValueError):
        book.bench_results("../../etc/passwd")


def test_raw_base_is_the_configured_repository_and_branch():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    url = re.search(r"^\s+url:\s*https://github\.com/(\S+)", config, re.M).group(1)
    branch = re.search(r"^\s+branch:\s*(\S+)", config, re.M).group(1)
    assert book.RAW_BASE == f"https://raw.githubusercontent.com/{url}/{branch}"


def test_the_committed_results_the_chapters_use_exist():
    for name in ("compressors", "compressors-150k", "train_gpt"):
        assert book.bench_results(name, folder=ROOT / "bench" / "results", download=False)
