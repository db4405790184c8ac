"""The learned part of the default classifier and its file format.

Two linear heads over the features of :mod:`features`: a spam head (logistic)
and an intent head (softmax over needs_reply / conversation / appreciation).
P(spam) comes from the first; the other labels share what is left, split by
the second. The artefact is a compressed numpy ``.npz`` with float16 weights
and a JSON header: loaded with ``allow_pickle=False``, so a tampered file can
only fail to load, never run code. A missing or corrupt file raises
:class:`~rapport.errors.ModelError` naming the file and the command that
rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from rapport.errors import ModelError
from rapport.triage.features import N_FEATURES, N_HASHED, Blocks

INTENTS: tuple[str, ...] = ("needs_reply", "conversation", "appreciation")
FORMAT = "rapport-triage-linear/1"
DEFAULT_PATH = Path(__file__).parent / "artifacts" / "default-v1.npz"
REBUILD = "rapport triage train"


@dataclass
class LinearModel:
    spam_w: np.ndarray  # (N_FEATURES,)
    spam_b: float
    intent_w: np.ndarray  # (len(INTENTS), N_FEATURES)
    intent_b: np.ndarray  # (len(INTENTS),)
    meta: dict[str, Any] = field(default_factory=dict)
    _stacked: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "default-v1"))

    def probabilities(self, x: sparse.csr_matrix | Blocks) -> np.ndarray:
        """(n, 4) probabilities in the order spam, needs_reply, conversation, appreciation."""
        if isinstance(x, Blocks):
            if self._stacked is None:
                stacked = np.column_stack([self.spam_w, self.intent_w.T]).astype(np.float64)
                self._stacked = (
                    np.ascontiguousarray(stacked[:N_HASHED]),
                    np.ascontiguousarray(stacked[N_HASHED:]),
                )
            scores = x.dot(*self._stacked)
        else:
            scores = np.column_stack([x @ self.spam_w, x @ self.intent_w.T])
        scores = np.asarray(scores, dtype=np.float64)
        spam = 1.0 / (1.0 + np.exp(-(scores[:, 0] + self.spam_b)))
        logits = scores[:, 1:] + self.intent_b
        logits -= logits.max(axis=1, keepdims=True)
        intent = np.exp(logits)
        intent /= intent.sum(axis=1, keepdims=True)
        return np.column_stack([spam, intent * (1.0 - spam)[:, None]])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format": FORMAT, "n_features": N_FEATURES}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                spam_w=self.spam_w.astype(np.float16),
                spam_b=np.array([self.spam_b]),
                intent_w=self.intent_w.astype(np.float16),
                intent_b=self.intent_b.astype(np.float64),
                meta=np.array(json.dumps(meta, sort_keys=True)),
            )


def _fail(path: Path, reason: str) -> ModelError:
    return ModelError(
        f"triage model {path} is {reason}; rebuild it with `{REBUILD}` "
        "(or reinstall Rapport to get the shipped one)"
    )


def load(path: Path = DEFAULT_PATH) -> LinearModel:
    """Read and check a model file; raise ModelError when it is missing or corrupt."""
    if not path.is_file():
        raise _fail(path, "missing")
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            model = LinearModel(
                spam_w=npz["spam_w"].astype(np.float32),
                spam_b=float(npz["spam_b"][0]),
                intent_w=npz["intent_w"].astype(np.float32),
                intent_b=npz["intent_b"].astype(np.float32),
                meta=meta,
            )
    except Exception as exc:  # any reader error means the same thing to the user
        raise _fail(path, f"corrupt ({type(exc).__name__}: {exc})") from exc
    if meta.get("format") != FORMAT or meta.get("n_features") != N_FEATURES:
        raise _fail(path, f"in an unknown format ({meta.get('format')!r})")
    if model.spam_w.shape != (N_FEATURES,) or model.intent_w.shape != (len(INTENTS), N_FEATURES):
        raise _fail(path, "corrupt (weights of the wrong shape)")
    if not (np.isfinite(model.spam_w).all() and np.isfinite(model.intent_w).all()):
        raise _fail(path, "corrupt (weights that are not numbers)")
    model.meta.setdefault("version", "default-v1")
    model.meta["version"] = f"{model.meta['version']}+{digest}"
    return model
