"""The model file: versioned, safe to load, and a clear error when missing or corrupt."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.errors import ModelError
from rapport.triage.model import DEFAULT_PATH, load


def test_shipped_model_loads_and_is_small():
    model = load()
    assert model.version.startswith("default-v1+")
    assert DEFAULT_PATH.stat().st_size < 3 * 1024 * 1024


def test_missing_model_names_the_file_and_the_command(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(ModelError) as exc:
        load(path)
    assert str(path) in str(exc.value) and "rapport triage train" in str(exc.value)


def test_corrupt_model_is_a_model_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelError, match="corrupt"):
        load(path)


def test_model_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "pickle.npz"
    np.savez(path, meta=np.array([object()], dtype=object))
    with pytest.raises(ModelError):
        load(path)


def test_saved_model_round_trips(tmp_path):
    model = load()
    path = tmp_path / "copy.npz"
    model.save(path)
    again = load(path)
    assert np.allclose(again.spam_w, model.spam_w, atol=1e-3)
