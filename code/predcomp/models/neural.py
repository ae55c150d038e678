"""A causal Transformer language model as a byte predictor for the arithmetic coder.

:class:`GPTPredictor` follows the protocol of every model in :mod:`predcomp.models`: before
each byte it states a distribution over the 256 byte values, after the byte it learns. The
network is the :class:`~predcomp.transformer.gpt.GPT` of the book, with a vocabulary of the
256 byte values, so any file can be coded. Two ways to get the weights:

* **static** (``gpt-static``): trained beforehand and loaded from a checkpoint
  (:func:`use_checkpoint`, ``torch.load(..., weights_only=True)``). The container records the
  checkpoint's SHA-256, not the weights: the decoder needs the same file, and refuses any
  other. The weights are a second part of the message that is *not* in the payload;
  :func:`model_size` says how big that part is.
* **online** (``gpt-online``), the prequential code: encoder and decoder start from the same
  seeded initialization and, every ``segment`` bytes, take ``steps`` optimizer steps on the
  bytes coded so far. No weights are sent; the learning is paid for inside the payload.

Determinism by construction. Arithmetic decoding needs *bit-identical* probabilities on both
sides, and floating point gives them only if both sides run exactly the same operations.
So there is one code path, used by the encoder and the decoder alike: one new byte at a time
through the KV cache (:meth:`GPTPredictor.update`), the same window refresh when the cache is
full, the same training steps at the same positions, float32, a fixed number of threads and
deterministic algorithms; the probabilities then go through the coder's one quantization
(:func:`predcomp.coding.arithmetic.quantize`). Scoring a whole text in one batched pass, as an
encoder could, gives slightly different floats (:func:`batched_probabilities` shows it): a
decoder, which must go byte by byte, would then decode garbage. What the floats can still
depend on is recorded in the header (torch version, CPU instruction set, thread count), and
a decoder refuses, in one line, an environment that differs, rather than decode garbage.
Building a neural model sets torch's thread count (a process-wide setting) to the recorded one
and turns on deterministic algorithms; a thread count torch cannot honour is refused.

Torch is imported only when a neural model is built, sized or checked.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from predcomp.transformer.gpt import GPT, GPTConfig

__all__ = [
    "LIMITS",
    "MAX_CHECKPOINT_BYTES",
    "MAX_TRAIN_WORK_PER_BYTE",
    "VOCAB",
    "GPTPredictor",
    "ModelSize",
    "batched_probabilities",
    "checkpoint_sha256",
    "environment",
    "forget_checkpoints",
    "gpt_online",
    "gpt_static",
    "last_predictor",
    "memory_bound",
    "model_size",
    "online_memory",
    "save_byte_checkpoint",
    "static_memory",
    "use_checkpoint",
]

#: the byte alphabet
VOCAB = 256
#: what a header may ask for: bounds on the network and on the training it implies, checked
#: before anything is built, so that a forged header cannot ask for unbounded memory or work
LIMITS = {
    "n_layer": 12,
    "n_head": 16,
    "n_embd": 1024,
    "block_size": 1024,
    "batch_size": 256,
    "steps": 256,
    "segment": 1 << 20,
    "threads": 256,
}
#: largest multiply-adds of training per coded byte a header may ask for (steps x batch x
#: window x parameters / segment), so that the decoding work is bounded by the file's length
MAX_TRAIN_WORK_PER_BYTE = 1 << 32
#: a checkpoint file larger than this is refused before it is read
MAX_CHECKPOINT_BYTES = 1 << 30
#: the environment keys a header records; a decoder refuses a different value of any
_ENV_KEYS = ("torch_version", "cpu")


# --------------------------------------------------------------------------- environment


def environment() -> dict[str, str]:
    """What the floats of a forward pass can depend on besides the code: torch, CPU kernels."""
    import torch

    return {
        "torch_version": torch.__version__,
        "cpu": str(torch.backends.cpu.get_cpu_capability()),
    }


def _pin_torch(threads: int) -> None:
    """Fix the thread count and deterministic algorithms; refuse what cannot be fixed."""
    import torch

    if torch.get_default_dtype() != torch.float32:
        raise ValueError(
            f"the neural models compute in float32; this process defaults to "
            f"{torch.get_default_dtype()} (torch.set_default_dtype(torch.float32))"
        )
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if torch.get_num_threads() != threads:
        raise ValueError(
            f"the data was coded with torch on {threads} thread(s), and this torch runs on "
            f"{torch.get_num_threads()}: its predictions could differ, so it is not decoded here"
        )
    if not torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(True)


def _check_environment(recorded: Mapping[str, Any]) -> dict[str, str]:
    """The current environment, after checking it against ``recorded`` (None: not recorded)."""
    here = environment()
    for key in _ENV_KEYS:
        value = recorded.get(key)
        if value is not None and value != here[key]:
            what = "torch version" if key == "torch_version" else "CPU instruction set"
            raise ValueError(
                f"the data was coded with {what} {str(value)[:40]!r} and this is {here[key]!r}: "
                "its predictions could differ, so it is not decoded here (use the same one)"
            )
    return here


# --------------------------------------------------------------------------- checkpoints

#: sha256 -> (configuration, weights) of the checkpoints this process was given
_CHECKPOINTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


def checkpoint_sha256(path: str | Path) -> str:
    """SHA-256 of a checkpoint file, in hex (what a container records)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def save_byte_checkpoint(path: str | Path, net: GPT, **extra: Any) -> str:
    """Save a byte-level GPT with :func:`predcomp.train.save_checkpoint`; return its SHA-256."""
    from predcomp.train import save_checkpoint

    if net.config.vocab_size != VOCAB:
        raise ValueError(f"a byte model has vocab_size {VOCAB}, not {net.config.vocab_size}")
    save_checkpoint(path, net, **extra)
    return checkpoint_sha256(path)


def use_checkpoint(path: str | Path) -> str:
    """Load a checkpoint (tensors only) for ``gpt-static``; return its SHA-256.

    The weights stay in this process under their SHA-256, which is what ``gpt-static``'s
    ``checkpoint`` parameter names (and what a container records): ``decompress`` finds them
    there, and refuses data made with a checkpoint it was not given.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"{path}: larger than {MAX_CHECKPOINT_BYTES >> 20} MiB")
    sha = checkpoint_sha256(path)
    if sha in _CHECKPOINTS:
        return sha
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors alike: not a checkpoint
        raise ValueError(f"{path}: not a torch checkpoint ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("config"), dict):
        raise ValueError(f"{path}: not a predcomp GPT checkpoint")
    config = dict(ckpt["config"])
    _config_from(config)  # checks the sizes against LIMITS
    if not isinstance(ckpt.get("state_dict"), dict):
        raise ValueError(f"{path}: not a predcomp GPT checkpoint (no weights)")
    _CHECKPOINTS[sha] = (config, ckpt["state_dict"])
    return sha


def forget_checkpoints() -> None:
    """Drop the checkpoints :func:`use_checkpoint` loaded (tests use it)."""
    _CHECKPOINTS.clear()


def _checkpoint(sha: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(sha, str) or not sha:
        raise ValueError(
            "gpt-static needs a checkpoint: pass --checkpoint FILE (use_checkpoint(FILE))"
        )
    found = _CHECKPOINTS.get(sha)
    if found is None:
        given = ", ".join(s[:12] for s in _CHECKPOINTS) or "none"
        raise ValueError(
            f"the data was coded with the checkpoint whose SHA-256 begins {sha[:12]!r}; "
            f"the checkpoint given is another ({given}): pass that one with --checkpoint"
        )
    return found


# --------------------------------------------------------------------------- sizes


def _int_in(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {str(value)[:40]}")
    return value


def _config_from(c: Mapping[str, Any]) -> GPTConfig:
    """A :class:`GPTConfig` of a byte model, every size checked against :data:`LIMITS`."""
    from predcomp.transformer.gpt import POSITIONS, GPTConfig

    if c.get("vocab_size", VOCAB) != VOCAB:
        raise ValueError(f"a byte model needs vocab_size {VOCAB}, not {str(c['vocab_size'])[:20]}")
    n_layer = _int_in("n_layer", c.get("n_layer"), 1, LIMITS["n_layer"])
    n_head = _int_in("n_head", c.get("n_head"), 1, LIMITS["n_head"])
    n_embd = _int_in("n_embd", c.get("n_embd"), 1, LIMITS["n_embd"])
    block_size = _int_in("block_size", c.get("block_size"), 2, LIMITS["block_size"])
    position = c.get("position", "learned")
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}")
    n_kv = c.get("n_kv_head")
    if n_kv is not None:
        n_kv = _int_in("n_kv_head", n_kv, 1, n_head)
    if n_embd % n_head or (n_kv is not None and n_head % n_kv):
        raise ValueError(f"n_head={n_head} must divide n_embd={n_embd} (and n_kv_head n_head)")
    bias = c.get("bias", True)
    if not isinstance(bias, bool):
        raise ValueError("bias must be true or false")
    return GPTConfig(
        vocab_size=VOCAB,
        block_size=block_size,
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        dropout=0.0,  # coding is inference, and online training must not draw random masks
        bias=bias,
        position=position,
        use_sdpa=bool(c.get("use_sdpa", True)),
        n_kv_head=n_kv,
    )


def _training(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The online-training settings of ``params`` (defaults filled in), checked."""
    p = {k: params.get(k, defaults[k]) for k in ("steps", "segment", "batch_size", "lr")}
    _int_in("steps", p["steps"], 0, LIMITS["steps"])
    _int_in("segment", p["segment"], 1, LIMITS["segment"])
    _int_in("batch_size", p["batch_size"], 1, LIMITS["batch_size"])
    lr = p["lr"]
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr <= 1:
        raise ValueError(f"lr must be a number in (0, 1], got {str(lr)[:40]}")
    _int_in("seed", params.get("seed", 0), 0, 2**63 - 1)
    _int_in("threads", params.get("threads", 1), 1, LIMITS["threads"])
    for key in _ENV_KEYS:
        value = params.get(key)
        if value is not None and not (isinstance(value, str) and len(value) <= 64):
            raise ValueError(f"{key} must be a short string")
    return p


def memory_bound(config: GPTConfig, training: Mapping[str, Any]) -> int:
    """Bytes that building and running the predictor may allocate (an upper bound).

    float32 weights; with online training also their gradients and Adam's two moments
    (4 copies more) and the activations of a training batch, which autograd keeps for the
    backward pass (about ``20 C + 2 H T`` numbers per token and layer, and the logits);
    the KV cache. Also refuses training that would cost more than
    :data:`MAX_TRAIN_WORK_PER_BYTE` multiply-adds per coded byte.
    """
    from predcomp.transformer.counting import gpt_params

    n = gpt_params(config)
    T, C, L, H = config.block_size, config.n_embd, config.n_layer, config.n_head
    memory = 4 * n + 4 * 2 * L * T * C + 4 * 4 * T * VOCAB  # weights, cache, a refresh pass
    if training["steps"]:
        tokens = training["batch_size"] * T
        work = training["steps"] * tokens * 3 * n // training["segment"]
        if work > MAX_TRAIN_WORK_PER_BYTE:
            raise ValueError(
                f"online training of {work:,} multiply-adds per byte is more than the limit "
                f"of {MAX_TRAIN_WORK_PER_BYTE:,}"
            )
        memory += 4 * 4 * n + 4 * tokens * (L * (24 * C + 3 * H * T) + 4 * VOCAB)
    return 2 * memory  # allocator slack, torch's own workspaces


@dataclass(frozen=True)
class ModelSize:
    """How big a model is, the second part of a two-part code (text + model)."""

    params: int
    fp32_bytes: int
    fp16_bytes: int
    int8_bytes: int  # 8-bit weights plus one float32 scale per tensor
    compressed_bytes: int  # the fp16 weights through xz -9e: what shipping them would cost


def model_size(net: torch.nn.Module) -> ModelSize:
    """Parameters of ``net`` (a tied weight counted once) and its size in bytes, four ways.

    The compressed size is that of the float16 weights through xz: a fair, simple stand-in
    for what the model adds to a two-part code (weights are close to incompressible noise,
    so quantizing them saves more than compressing them).
    """
    import torch

    tensors = list(net.parameters())  # parameters() yields a tied tensor once
    n = sum(t.numel() for t in tensors)
    buf = io.BytesIO()
    for t in tensors:
        buf.write(t.detach().to(torch.float16).numpy().tobytes())
    packed = lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME)
    return ModelSize(n, 4 * n, 2 * n, n + 4 * len(tensors), len(packed))


# --------------------------------------------------------------------------- the predictor

_LAST: list[GPTPredictor] = []


def last_predictor() -> GPTPredictor | None:
    """The neural predictor built last in this process (kept alive until the next one).

    For measurements: ``compress`` builds its model inside, and a benchmark reads the
    model's own log loss (``GPTPredictor.costs``) from it afterwards.
    """
    return _LAST[0] if _LAST else None


class GPTPredictor:
    """A byte-level GPT behind the model protocol: ``predict``, then ``update`` with the byte.

    Context. The network sees at most ``block_size`` bytes. Each new byte goes through the
    KV cache in one single-token step. When the cache is full, it is rebuilt from the last
    ``block_size // 2`` bytes in one pass (a *refresh*), so every prediction sees between
    half a window and a whole window of context, at an amortized cost of about two
    single-token steps per byte. The first byte, with no context, is coded uniformly.

    Online training (``steps > 0``). After every ``segment`` bytes, ``steps`` Adam steps on
    batches of ``batch_size`` windows: the most recent window and random earlier ones
    (from a generator seeded with ``seed``). The weights changed, so the cache is refreshed.
    """

    alphabet_size = VOCAB

    def __init__(
        self,
        net: GPT,
        params: dict[str, Any],
        *,
        steps: int = 0,
        segment: int = 1024,
        batch_size: int = 16,
        lr: float = 1e-3,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        import torch

        from predcomp.train import configure_optimizer

        self.net = net
        self._params = params
        self.steps, self.segment, self.batch_size = steps, segment, batch_size
        self.threads = threads
        self.block_size = net.config.block_size
        self.keep = max(1, self.block_size // 2)
        self.history = bytearray()
        self.cache: list[Any] | None = None
        self._probs = np.full(VOCAB, 1.0 / VOCAB)
        self._gen = torch.Generator().manual_seed(seed)
        self._opt = (
            configure_optimizer(net, lr, weight_decay=0.0, betas=(0.9, 0.99)) if steps else None
        )
        self._length = 0  # positions in the cache
        self._fast = _FastStep(net) if _FastStep.supports(net) else None
        net.eval()
        #: optimizer steps taken, and the cost in bits of every byte seen, ``-log2 p`` with
        #: the model's float probabilities (measurements: the model's own log loss)
        self.trained_steps = 0
        self.costs = array("d")
        _LAST[:] = [self]

    def predict(self) -> np.ndarray:
        """The distribution of the next byte (float64, from the float32 softmax)."""
        return self._probs

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def update(self, symbol: int) -> None:
        """Append ``symbol``; train if a segment is complete; compute the next prediction."""
        import torch

        _pin_torch(self.threads)  # cheap when nothing changed; catches a change mid-stream
        # A float32 softmax can underflow to exactly 0 for a byte the model rules out; the
        # coder still codes it (every byte keeps a frequency of at least 1), so the model's
        # own cost is infinite, not an error.
        p = float(self._probs[symbol])
        self.costs.append(-math.log2(p) if p > 0 else math.inf)
        self.history.append(symbol)
        n = len(self.history)
        if self._opt is not None and n % self.segment == 0 and n >= 2:
            self._train()
            self.cache = None
        with torch.no_grad():
            if self.cache is None or self._length >= self.block_size:
                logits = self._refresh()
            elif self._fast is not None:
                logits = self._fast.step(symbol, self._length)
                self._length += 1
            else:
                logits, _ = self.net(torch.tensor([[symbol]]), cache=self.cache)
                self._length += 1
            self._probs = torch.softmax(logits.reshape(-1)[-VOCAB:], dim=-1).double().numpy()

    def _refresh(self) -> torch.Tensor:
        """Rebuild the cache from the last ``keep`` bytes in one pass; the last logits."""
        import torch

        window = self.history[-self.keep :]
        self.cache = self.net.new_cache()
        logits, _ = self.net(torch.tensor([list(window)], dtype=torch.long), cache=self.cache)
        self._length = len(window)
        if self._fast is not None:
            self._fast.load(self.cache)
        return logits[0, -1]

    def _train(self) -> None:
        """``steps`` Adam steps on windows of the bytes coded so far (same on both sides)."""
        import torch
        import torch.nn.functional as F

        assert self._opt is not None
        data = torch.tensor(list(self.history), dtype=torch.long)
        T = min(self.block_size, len(data) - 1)
        offsets = torch.arange(T + 1)
        self.net.train()
        for _ in range(self.steps):
            starts = torch.randint(0, len(data) - T, (self.batch_size,), generator=self._gen)
            starts[0] = len(data) - T - 1  # always the newest window
            rows = data[starts[:, None] + offsets]  # (B, T + 1)
            logits, _ = self.net(rows[:, :-1])
            loss = F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())
            self._opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            self._opt.step()
            self.trained_steps += 1
        self.net.eval()
        if self._fast is not None:
            self._fast = _FastStep(self.net)  # new weights


class _FastStep:
    """One new token through the GPT with a preallocated KV cache: the coder's inner loop.

    The same arithmetic as :meth:`GPT.forward` with a cache (pre-norm blocks, GELU, tied
    head), written with a few large tensor calls instead of module calls, because at one
    token per call the Python around the modules costs several times the arithmetic
    (measured: about 5 times). Encoder and decoder both use it, so their floats agree bit
    for bit; it agrees with the module path to about 1e-6 (tested).
    """

    def __init__(self, net: GPT) -> None:
        import torch

        c = net.config
        self.C, self.H, self.D = c.n_embd, c.n_head, c.n_embd // c.n_head
        self.scale = 1.0 / math.sqrt(self.D)
        self.tok = net.tok_emb.weight.detach()
        self.tok_scale = net.tok_emb.scale
        pos = net.pos_emb
        self.pos = pos.weight.detach() if hasattr(pos, "weight") else pos.pe  # type: ignore[union-attr]
        zeros = torch.zeros(4 * self.C)

        def lin(m: torch.nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
            b = m.bias.detach() if m.bias is not None else zeros[: m.out_features]
            return b, m.weight.detach().t().contiguous()

        def norm(m: torch.nn.LayerNorm) -> tuple[Any, Any, float]:
            b = m.bias.detach() if m.bias is not None else None
            return m.weight.detach(), b, m.eps

        self.layers = [
            (
                norm(blk.norm1),
                lin(blk.self_attn.in_proj),
                lin(blk.self_attn.out_proj),
                norm(blk.norm2),
                lin(blk.ff.linear1),
                lin(blk.ff.linear2),
            )
            for blk in net.blocks
        ]
        self.ln_f = norm(net.ln_f)
        self.head = net.lm_head.weight.detach().t().contiguous()  # (C, V)
        T = c.block_size
        self.k = [torch.zeros(self.H, T, self.D) for _ in self.layers]
        self.v = [torch.zeros(self.H, T, self.D) for _ in self.layers]

    @staticmethod
    def supports(net: GPT) -> bool:
        """Learned or sinusoidal positions, ordinary multi-head attention, pre-norm GELU."""
        c = net.config
        return c.position in ("learned", "sinusoidal") and c.n_kv_head in (None, c.n_head)

    def load(self, cache: list[Any]) -> None:
        """Copy a module-made cache (after a refresh) into the preallocated buffers."""
        for i, layer_cache in enumerate(cache):
            n = layer_cache.length
            self.k[i][:, :n] = layer_cache.k[0]
            self.v[i][:, :n] = layer_cache.v[0]

    def step(self, symbol: int, pos: int) -> torch.Tensor:
        """Logits (V,) of the next byte after ``symbol`` at position ``pos``."""
        import torch
        import torch.nn.functional as F

        C, H, D = self.C, self.H, self.D
        x = self.tok[symbol : symbol + 1]
        if self.tok_scale != 1.0:
            x = x * self.tok_scale
        x = x + self.pos[pos : pos + 1]  # (1, C)
        for i, (n1, qkv, out, n2, ff1, ff2) in enumerate(self.layers):
            h = F.layer_norm(x, (C,), n1[0], n1[1], n1[2])
            q, k, v = torch.addmm(qkv[0], h, qkv[1]).view(3, H, D)
            K, V = self.k[i], self.v[i]
            K[:, pos] = k
            V[:, pos] = v
            att = torch.bmm(q.view(H, 1, D), K[:, : pos + 1].transpose(1, 2)) * self.scale
            y = torch.bmm(torch.softmax(att, dim=-1), V[:, : pos + 1])  # (H, 1, D)
            x = x + torch.addmm(out[0], y.view(1, C), out[1])
            h = F.layer_norm(x, (C,), n2[0], n2[1], n2[2])
            x = x + torch.addmm(ff2[0], F.gelu(torch.addmm(ff1[0], h, ff1[1])), ff2[1])
        h = F.layer_norm(x, (C,), self.ln_f[0], self.ln_f[1], self.ln_f[2])
        return h @ self.head  # (1, V)


def batched_probabilities(net: GPT, data: bytes) -> np.ndarray:
    """What a *batched* encoder would use: every prediction of ``data`` from one pass.

    Row ``i`` is the distribution of byte ``i + 1`` given bytes ``0..i`` (``len(data) <=
    block_size``). Mathematically it equals the incremental path of :class:`GPTPredictor`;
    in floating point it differs in the last bits, which is why the coder never uses it.
    """
    import torch

    if not 1 <= len(data) <= net.config.block_size:
        raise ValueError(f"need 1..{net.config.block_size} bytes, got {len(data)}")
    net.eval()
    with torch.no_grad():
        logits, _ = net(torch.tensor([list(data)], dtype=torch.long))
        return torch.softmax(logits[0], dim=-1).double().numpy()


# --------------------------------------------------------------------------- the registry

_TRAINING_DEFAULTS = {"steps": 16, "segment": 1024, "batch_size": 16, "lr": 2e-3}
_STATIC_TRAINING = {**_TRAINING_DEFAULTS, "steps": 0}
_NET_DEFAULTS = {"n_layer": 2, "n_head": 4, "n_embd": 128, "block_size": 64}


def _seeded_net(config: GPTConfig, seed: int) -> GPT:
    import torch

    from predcomp.transformer.gpt import GPT

    with torch.random.fork_rng(devices=[]):  # the caller's global generator is left alone
        torch.manual_seed(seed)
        return GPT(config)


def gpt_online(
    n_layer: int = _NET_DEFAULTS["n_layer"],
    n_head: int = _NET_DEFAULTS["n_head"],
    n_embd: int = _NET_DEFAULTS["n_embd"],
    block_size: int = _NET_DEFAULTS["block_size"],
    steps: int = _TRAINING_DEFAULTS["steps"],
    segment: int = _TRAINING_DEFAULTS["segment"],
    batch_size: int = _TRAINING_DEFAULTS["batch_size"],
    lr: float = _TRAINING_DEFAULTS["lr"],
    seed: int = 0,
    threads: int = 1,
    torch_version: str | None = None,
    cpu: str | None = None,
) -> GPTPredictor:
    """A byte GPT from a seeded initialization, trained online on the bytes already coded."""
    net_params = {"n_layer": n_layer, "n_head": n_head, "n_embd": n_embd, "block_size": block_size}
    config = _config_from(net_params)
    training = _training(locals(), _TRAINING_DEFAULTS)
    seed = _int_in("seed", seed, 0, 2**63 - 1)
    threads = _int_in("threads", threads, 1, LIMITS["threads"])
    env = _check_environment({"torch_version": torch_version, "cpu": cpu})
    _pin_torch(threads)
    params = {**net_params, **training, "seed": seed, "threads": threads, **env}
    return GPTPredictor(_seeded_net(config, seed), params, seed=seed, threads=threads, **training)


def gpt_static(
    checkpoint: str = "",
    steps: int = _STATIC_TRAINING["steps"],
    segment: int = _STATIC_TRAINING["segment"],
    batch_size: int = _STATIC_TRAINING["batch_size"],
    lr: float = _STATIC_TRAINING["lr"],
    seed: int = 0,
    threads: int = 1,
    torch_version: str | None = None,
    cpu: str | None = None,
) -> GPTPredictor:
    """A byte GPT loaded from the checkpoint whose SHA-256 is ``checkpoint``.

    With ``steps > 0`` it also keeps learning online, as :func:`gpt_online` does.
    """
    from predcomp.transformer.gpt import GPT

    config_dict, state = _checkpoint(checkpoint)
    training = _training(locals(), _STATIC_TRAINING)
    seed = _int_in("seed", seed, 0, 2**63 - 1)
    threads = _int_in("threads", threads, 1, LIMITS["threads"])
    env = _check_environment({"torch_version": torch_version, "cpu": cpu})
    _pin_torch(threads)
    net = GPT(_config_from(config_dict))
    try:
        net.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        raise ValueError(f"the checkpoint does not fit its configuration: {exc}") from None
    params = {"checkpoint": checkpoint, **training, "seed": seed, "threads": threads, **env}
    return GPTPredictor(net, params, seed=seed, threads=threads, **training)


def online_memory(params: Mapping[str, Any]) -> int:
    """The registry's memory declaration of ``gpt-online`` (checks the sizes too)."""
    config = _config_from({k: params.get(k, v) for k, v in _NET_DEFAULTS.items()})
    return memory_bound(config, _training(params, _TRAINING_DEFAULTS))


def static_memory(params: Mapping[str, Any]) -> int:
    """The registry's memory declaration of ``gpt-static`` (its checkpoint must be loaded)."""
    config_dict, _ = _checkpoint(params.get("checkpoint", ""))
    return memory_bound(_config_from(config_dict), _training(params, _STATIC_TRAINING))
