"""Plain data between the sandbox and the judge: nothing else gets through."""
import numpy as np
import pytest

from cs231n.checks import codec


def test_round_trip_of_plain_data(tmp_path):
    value = {"a": np.arange(6).reshape(2, 3), "b": [1, 2.5, None, True, "x"], "c": {"d": np.float32(3)},
             "nan": float("nan")}
    codec.save(tmp_path / "v.npz", value)
    back = codec.load(tmp_path / "v.npz")
    assert np.array_equal(back["a"], value["a"]) and back["b"] == [1, 2.5, None, True, "x"]
    assert back["c"]["d"] == 3.0 and np.isnan(back["nan"])


@pytest.mark.parametrize("bad", [object(), {1: 2}, np.array(["a"], dtype=object), lambda: 0])
def test_objects_are_refused(bad, tmp_path):
    with pytest.raises(codec.CodecError):
        codec.save(tmp_path / "v.npz", bad)


def test_files_with_pickles_or_garbage_are_refused(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, __struct__=np.array('{"__array__": "a0"}'), a0=np.array([object()], dtype=object))
    with pytest.raises(codec.CodecError):
        codec.load(path)
    (tmp_path / "g.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(codec.CodecError):
        codec.load(tmp_path / "g.npz")


def test_a_compressed_bomb_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(codec, "MAX_BYTES", 10_000)
    np.savez_compressed(tmp_path / "b.npz", __struct__=np.array('{"__array__": "a0"}'), a0=np.zeros(100_000))
    assert (tmp_path / "b.npz").stat().st_size < 10_000
    with pytest.raises(codec.CodecError, match="expands"):
        codec.load(tmp_path / "b.npz")


def test_zero_dimensional_arrays_keep_their_shape(tmp_path):
    codec.save(tmp_path / "x.npz", {"t": np.array(3.0), "v": np.arange(2)})
    back = codec.load(tmp_path / "x.npz")
    assert back["t"].shape == () and float(back["t"]) == 3.0
    assert back["v"].shape == (2,)
