"""Tests of predcomp.data: the corpus cache (never touching the network) and synthetic sources."""

from __future__ import annotations

import hashlib
import io
import math
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from predcomp import data, info
from predcomp.__main__ import main as cli_main

# A fake corpus whose checksum we control, registered for the duration of a test.
FAKE_TEXT = b"To be, or not to be, that is the question.\n" * 50
FAKE = data.Corpus(
    name="fake",
    url="https://example.invalid/fake.txt",
    sha256=hashlib.sha256(FAKE_TEXT).hexdigest(),
    size=len(FAKE_TEXT),
    description="a test corpus",
)
FAKE_ARCHIVED = data.Corpus(
    name="fakearch",
    url="https://example.invalid/archive.tar.gz",
    sha256=hashlib.sha256(FAKE_TEXT).hexdigest(),
    size=len(FAKE_TEXT),
    description="a test corpus inside an archive",
    member="fakearch.txt",
)


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, payload in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(payload)
            tar.addfile(ti, io.BytesIO(payload))
    return buf.getvalue()


@pytest.fixture
def offline(monkeypatch) -> list[str]:
    """A network that always fails; returns the list of URLs that were requested."""
    calls: list[str] = []

    def no_network(url, timeout=60.0):
        calls.append(url)
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(data, "_download", no_network)
    return calls


@pytest.fixture
def cache(tmp_path, monkeypatch, offline) -> Path:
    """An empty cache folder (not yet created), fake corpora registered, no network."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PREDCOMP_DATA_DIR", str(folder))
    monkeypatch.setitem(data.CORPORA, "fake", FAKE)
    monkeypatch.setitem(data.CORPORA, "fakearch", FAKE_ARCHIVED)
    return folder


def serve(monkeypatch, payload: bytes) -> list[str]:
    calls: list[str] = []

    def fake_download(url, timeout=60.0):
        calls.append(url)
        return payload

    monkeypatch.setattr(data, "_download", fake_download)
    return calls


# ----------------------------------------------------------------------------- registry


def test_registry_has_the_books_corpora():
    assert set(data.CORPORA) >= {"tinyshakespeare", "asyoulik"}
    ts = data.CORPORA["tinyshakespeare"]
    assert ts.url.startswith("https://") and ts.url.endswith("input.txt")
    assert ts.sha256 == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    ay = data.CORPORA["asyoulik"]
    assert ay.url.endswith("cantrbry.tar.gz") and ay.member == "asyoulik.txt"
    assert ay.sha256 == "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc"
    for c in data.CORPORA.values():
        assert len(c.sha256) == 64 and int(c.sha256, 16) >= 0


def test_data_dir_follows_environment_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDCOMP_DATA_DIR", str(tmp_path / "a"))
    assert data.data_dir() == tmp_path / "a"
    monkeypatch.setenv("PREDCOMP_DATA_DIR", str(tmp_path / "b"))
    assert data.corpus_path("tinyshakespeare") == tmp_path / "b" / "tinyshakespeare.txt"
    monkeypatch.delenv("PREDCOMP_DATA_DIR")
    assert data.data_dir() == Path.home() / ".cache" / "predcomp"


def test_unknown_corpus(cache):
    with pytest.raises(ValueError, match="unknown corpus"):
        data.load_text("nope")


# ----------------------------------------------------------------------------- cache


def test_seeded_cache_is_read_without_network(cache, offline):
    cache.mkdir()
    (cache / "fake.txt").write_bytes(FAKE_TEXT)
    assert data.load_bytes("fake") == FAKE_TEXT
    assert data.load_text("fake") == FAKE_TEXT.decode()
    assert offline == []


def test_missing_corpus_without_network_says_how_to_provide_it(cache, offline):
    with pytest.raises(data.CorpusUnavailableError) as exc:
        data.load_text("fake")
    msg = str(exc.value)
    assert "python -m predcomp data import fake.txt" in msg
    assert str(cache / "fake.txt") in msg
    assert FAKE.url in msg
    assert isinstance(exc.value, OSError)
    assert offline == [FAKE.url]
    assert not (cache / "fake.txt").exists()


def test_download_false_never_calls_the_network(cache, offline):
    with pytest.raises(data.CorpusUnavailableError, match="data import"):
        data.load_bytes("fake", download=False)
    assert offline == []


def test_corrupted_cached_file_is_an_error(cache, offline):
    cache.mkdir()
    (cache / "fake.txt").write_bytes(FAKE_TEXT[:-1] + b"!")
    with pytest.raises(data.ChecksumMismatchError, match="SHA-256"):
        data.load_bytes("fake")
    assert offline == []  # never silently replaced by a download


def test_successful_fetch_verifies_and_caches(cache, monkeypatch):
    calls = serve(monkeypatch, FAKE_TEXT)
    path = data.fetch("fake")
    assert path == cache / "fake.txt" and path.read_bytes() == FAKE_TEXT
    assert calls == [FAKE.url]
    assert data.load_bytes("fake") == FAKE_TEXT
    data.fetch("fake")
    assert calls == [FAKE.url]  # downloaded once
    assert [p.name for p in cache.iterdir()] == ["fake.txt"]  # no temporary files left


def test_first_load_downloads(cache, monkeypatch):
    calls = serve(monkeypatch, FAKE_TEXT)
    assert data.load_text("fake") == FAKE_TEXT.decode()
    assert calls == [FAKE.url]


def test_wrong_download_is_rejected_and_not_cached(cache, monkeypatch):
    serve(monkeypatch, b"<html>rate limited</html>")
    with pytest.raises(data.ChecksumMismatchError):
        data.fetch("fake")
    assert not (cache / "fake.txt").exists()
    assert not cache.exists() or list(cache.iterdir()) == []


def test_archive_member_is_extracted(cache, monkeypatch):
    archive = _tar_gz({"other.txt": b"x", "fakearch.txt": FAKE_TEXT})
    serve(monkeypatch, archive)
    assert data.load_bytes("fakearch") == FAKE_TEXT
    assert (cache / "fakearch.txt").read_bytes() == FAKE_TEXT


def test_archive_without_member_or_not_an_archive(cache, monkeypatch):
    serve(monkeypatch, _tar_gz({"other.txt": FAKE_TEXT}))
    with pytest.raises(data.ChecksumMismatchError, match="no member"):
        data.fetch("fakearch")
    serve(monkeypatch, b"not a tar file at all")
    with pytest.raises(ValueError):
        data.fetch("fakearch")
    assert not (cache / "fakearch.txt").exists()


def test_import_file(cache, tmp_path):
    src = tmp_path / "fake.txt"
    src.write_bytes(FAKE_TEXT)
    dest = data.import_file(src)
    assert dest == cache / "fake.txt" and dest.read_bytes() == FAKE_TEXT
    bad = tmp_path / "elsewhere" / "fake.txt"
    bad.parent.mkdir()
    bad.write_bytes(b"wrong")
    with pytest.raises(data.ChecksumMismatchError):
        data.import_file(bad)
    assert dest.read_bytes() == FAKE_TEXT  # the good copy is untouched
    with pytest.raises(ValueError, match="unknown corpus"):
        data.import_file(tmp_path / "mystery.txt")
    with pytest.raises(FileNotFoundError):
        data.import_file(tmp_path / "missing" / "fake.txt")


def test_cli_data_import_and_path(cache, tmp_path, capsys):
    src = tmp_path / "fake.txt"
    src.write_bytes(FAKE_TEXT)
    assert cli_main(["data", "import", str(src)]) == 0
    assert (cache / "fake.txt").read_bytes() == FAKE_TEXT
    assert cli_main(["data", "path", "fake"]) == 0
    assert cli_main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert str(cache / "fake.txt") in out and "tinyshakespeare" in out


def test_cli_reports_errors_in_one_line(cache, tmp_path, capsys):
    bad = tmp_path / "fake.txt"
    bad.write_bytes(b"corrupt")
    assert cli_main(["data", "import", str(bad)]) == 1
    assert cli_main(["data", "fetch", "fake"]) == 1
    err = capsys.readouterr().err
    assert "SHA-256" in err and "data import" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- synthetic


def test_iid_source_is_seeded_and_has_exact_entropy():
    p = [0.5, 0.25, 0.125, 0.125]
    src = data.IIDSource(p)
    assert src.entropy_rate() == pytest.approx(1.75)
    assert src.entropy_rate(base=math.e) == pytest.approx(1.75 * math.log(2))
    x = data.iid_source(p, 50_000, seed=3)
    assert x.dtype == np.int64 and x.shape == (50_000,)
    assert np.array_equal(x, data.iid_source(p, 50_000, seed=3))
    assert not np.array_equal(x, data.iid_source(p, 50_000, seed=4))
    np.testing.assert_allclose(np.bincount(x, minlength=4) / len(x), p, atol=0.01)
    assert info.block_entropy(x, 1) == pytest.approx(1.75, abs=0.01)
    with pytest.raises(ValueError):
        data.IIDSource([0.5, 0.6])


def test_markov_source_order1_entropy_rate_and_convergence():
    a, b = 0.1, 0.3
    P = [[1 - a, a], [b, 1 - b]]
    exact = (b * info.binary_entropy(a) + a * info.binary_entropy(b)) / (a + b)
    src = data.MarkovSource(P)
    assert src.entropy_rate() == pytest.approx(exact)
    assert info.markov_entropy_rate(P) == pytest.approx(exact)
    np.testing.assert_allclose(src.stationary_contexts(), [0.75, 0.25])
    x = data.markov_source(P, 100_000, seed=0)
    # the empirical transition frequencies and entropy rate converge to the exact ones
    est = info.conditional_entropy_estimate(x, 1)
    assert est == pytest.approx(exact, abs=0.01)
    after0 = x[1:][x[:-1] == 0]
    assert after0.mean() == pytest.approx(a, abs=0.01)
    # an order-0 view of a Markov source overestimates its entropy rate
    assert info.conditional_entropy_estimate(x, 0) > exact + 0.1


def test_markov_source_order2():
    # next symbol = XOR of the previous two, flipped with probability 0.1
    eps = 0.1
    P = np.zeros((4, 2))
    for c in range(4):
        prev2, prev1 = c // 2, c % 2
        P[c, prev2 ^ prev1] = 1 - eps
        P[c, 1 - (prev2 ^ prev1)] = eps
    src = data.MarkovSource(P, order=2)
    assert src.entropy_rate() == pytest.approx(info.binary_entropy(eps))
    np.testing.assert_allclose(src.stationary_contexts(), [0.25] * 4, atol=1e-12)
    x = src.sample(100_000, seed=1)
    assert info.conditional_entropy_estimate(x, 2) == pytest.approx(
        info.binary_entropy(eps), abs=0.01
    )
    # knowing only one previous symbol tells nothing here: the order-1 estimate is ~1 bit
    assert info.conditional_entropy_estimate(x, 1) == pytest.approx(1.0, abs=0.01)
    # check the context convention: x_t depends on (x_{t-2}, x_{t-1}) as documented
    agree = np.mean(x[2:] == (x[:-2] ^ x[1:-1]))
    assert agree == pytest.approx(1 - eps, abs=0.01)


def test_markov_source_exactness_for_random_tables():
    for order, a in [(1, 3), (2, 3), (3, 2)]:
        P = data.random_transition_matrix(a, order=order, concentration=0.7, seed=order)
        src = data.MarkovSource(P, order=order)
        # entropy rate from the context chain, computed independently via info
        T = src.context_transition_matrix()
        np.testing.assert_allclose(T.sum(axis=1), 1.0)
        pi = info.stationary_distribution(T)
        rate = float(sum(pi[c] * info.entropy(P[c]) for c in range(a**order)))
        assert src.entropy_rate() == pytest.approx(rate)
        x = src.sample(60_000, seed=5)
        assert info.conditional_entropy_estimate(x, order) == pytest.approx(rate, abs=0.03)
        assert 0 <= src.entropy_rate() <= math.log2(a)


def test_markov_source_edge_cases():
    P = [[0.5, 0.5], [0.5, 0.5]]
    assert len(data.markov_source(P, 0)) == 0
    assert len(data.markov_source(P, 1)) == 1
    x = data.markov_source(np.full((8, 2), 0.5), 2, order=3)
    assert len(x) == 2 and set(x.tolist()) <= {0, 1}
    with pytest.raises(ValueError, match="shape"):
        data.MarkovSource(np.full((3, 2), 0.5), order=2)
    with pytest.raises(ValueError):
        data.MarkovSource([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError):
        data.MarkovSource(P, order=0)
    with pytest.raises(ValueError):
        data.markov_source(P, -1)


def test_markov_log_loss_is_the_sequence_probability():
    P = data.random_transition_matrix(3, order=2, concentration=1.0, seed=4)
    src = data.MarkovSource(P, order=2)
    x = src.sample(50, seed=2)
    loss = src.log_loss(x)
    pi = src.stationary_contexts()
    by_hand = -math.log2(pi[x[0] * 3 + x[1]])
    for t in range(2, len(x)):
        by_hand -= math.log2(P[x[t - 2] * 3 + x[t - 1], x[t]])
    assert loss.sum() == pytest.approx(by_hand)
    assert loss[0] == pytest.approx(-math.log2(pi.reshape(3, 3).sum(axis=1)[x[0]]))
    # on a long sample the mean loss approaches the entropy rate
    long = src.sample(200_000, seed=3)
    assert src.log_loss(long).mean() == pytest.approx(src.entropy_rate(), abs=0.01)
    assert src.log_loss(x[:1]).shape == (1,)
    with pytest.raises(ValueError):
        src.log_loss([0, 3])


@pytest.mark.parametrize("name", sorted(data.CORPORA))
def test_real_corpus_matches_its_record_when_cached(name):
    # CI seeds the cache before the tests; on a machine without the files there is nothing
    # to compare (and no download is attempted).
    path = data.corpus_path(name)
    if not path.exists():
        pytest.skip(f"{name} is not in the cache ({path})")
    raw = data.load_bytes(name, download=False)
    record = data.CORPORA[name]
    assert len(raw) == record.size
    assert data.sha256_of(raw) == record.sha256
    assert data.load_text(name, download=False).isascii()
