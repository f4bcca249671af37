"""CaptioningRNN: parameters, loss and gradients, masking, sampling, dtype."""

import numpy as np
import pytest
import torch

from cs231n.classifiers.rnn import CaptioningRNN
from cs231n.gradient_check import eval_numerical_gradient

CELLS = ["rnn", "lstm", "attention"]
SPECIAL = ["<NULL>", "<START>", "<END>"]


def vocab(words=("a", "red", "seven", "at", "top", "left"), special_first=True):
    """word_to_idx with the special words first (as CS231n) or scattered."""
    names = SPECIAL + list(words) if special_first else list(words[:2]) + SPECIAL[::-1] + list(words[2:])
    return {w: i for i, w in enumerate(names)}


def make_model(cell, D=6, W=4, H=5, G=2, word_to_idx=None, dtype=np.float64, seed=0):
    word_to_idx = word_to_idx or vocab()
    np.random.seed(seed)
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, dtype=dtype)
    # Biases start at zero; random ones make the check cover their gradients.
    rng = np.random.RandomState(seed + 100)
    for k in ("b_proj", "b", "b_vocab"):
        model.params[k] = rng.randn(*model.params[k].shape).astype(dtype) * 0.1
    return model


def make_batch(model, N=3, T=7, G=2, seed=1, lengths=None):
    """Features and <START> ... <END> captions padded with <NULL> to length T."""
    rng = np.random.RandomState(seed)
    D = model.params["W_proj"].shape[0]
    shape = (N, D, G, G) if model.cell_type == "attention" else (N, D)
    features = rng.randn(*shape).astype(model.dtype)
    words = [i for w, i in model.word_to_idx.items() if w not in SPECIAL]
    lengths = lengths if lengths is not None else rng.randint(1, T - 1, size=N)
    captions = np.full((N, T), model._null, dtype=np.int32)
    for n, length in enumerate(lengths):
        captions[n, 0] = model._start
        captions[n, 1 : length + 1] = rng.choice(words, size=length)
        captions[n, length + 1] = model._end
    return features, captions


# --- an independent implementation, in torch -------------------------------------------


def torch_forward(params, cell, features, captions_in):
    """Scores (N, T, V) of the model written directly in torch ops."""
    p = params
    x = p["W_embed"][torch.as_tensor(captions_in, dtype=torch.long)]
    features = torch.as_tensor(features)
    if cell == "attention":
        N, D, G, _ = features.shape
        A = torch.einsum("ndgk,dh->nhgk", features, p["W_proj"]) + p["b_proj"][None, :, None, None]
        A = A.reshape(N, -1, G * G)
        h = c = A.mean(dim=2)
    else:
        h = features @ p["W_proj"] + p["b_proj"]
        c = torch.zeros_like(h)
    H = h.shape[1]
    hs = []
    for t in range(x.shape[1]):
        a = x[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"]
        if cell == "rnn":
            h = torch.tanh(a)
        else:
            if cell == "attention":
                w = torch.softmax(torch.einsum("nh,nhl->nl", h, A) / H**0.5, dim=1)
                a = a + torch.einsum("nhl,nl->nh", A, w) @ p["Wattn"]
            i, f, o = (torch.sigmoid(a[:, k * H : (k + 1) * H]) for k in range(3))
            c = f * c + i * torch.tanh(a[:, 3 * H :])
            h = o * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs, dim=1) @ p["W_vocab"] + p["b_vocab"]


def torch_loss_and_grads(model, features, captions):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    scores = torch_forward(params, model.cell_type, features, captions[:, :-1])
    target = torch.as_tensor(captions[:, 1:], dtype=torch.long)
    logp = torch.log_softmax(scores, dim=2).gather(2, target[..., None])[..., 0]
    loss = -(logp * (target != model._null)).sum() / captions.shape[0]
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in params.items()}


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b)))


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_params_shapes_and_feature_key(cell):
    np.random.seed(0)
    V, D, W, H = 9, 6, 4, 5
    model = CaptioningRNN(vocab(), input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell)
    k = 1 if cell == "rnn" else 4
    expected = {
        "W_embed": (V, W), "W_proj": (D, H), "b_proj": (H,), "Wx": (W, k * H), "Wh": (H, k * H),
        "b": (k * H,), "W_vocab": (H, V), "b_vocab": (V,),
    }
    if cell == "attention":
        expected["Wattn"] = (H, 4 * H)
    assert {n: v.shape for n, v in model.params.items()} == expected
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert model.feature_key == ("spatial_features" if cell == "attention" else "features")
    for n in ("b_proj", "b", "b_vocab"):
        assert not model.params[n].any()


def test_init_scales_and_seed():
    np.random.seed(3)
    a = CaptioningRNN(vocab(), input_dim=400, wordvec_dim=300, hidden_dim=200, cell_type="attention")
    np.random.seed(3)
    b = CaptioningRNN(vocab(), input_dim=400, wordvec_dim=300, hidden_dim=200, cell_type="attention")
    for n in a.params:
        np.testing.assert_array_equal(a.params[n], b.params[n])
    # Standard deviations: randn / 100, randn / sqrt(fan-in).
    for name, std in [("W_embed", 1 / 100), ("W_proj", 400**-0.5), ("Wx", 300**-0.5), ("Wh", 200**-0.5),
                      ("Wattn", 200**-0.5), ("W_vocab", 200**-0.5)]:
        assert a.params[name].std() == pytest.approx(std, rel=0.05), name


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell_type"):
        CaptioningRNN(vocab(), cell_type="gru")
    with pytest.raises(ValueError, match="<START>"):
        CaptioningRNN({"<NULL>": 0, "<END>": 1, "a": 2})
    model = make_model("lstm")
    with pytest.raises(ValueError, match="attention"):
        model.sample(np.zeros((2, 6)), return_attention=True)


# --- loss and gradients ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_loss_and_grads_match_torch(cell):
    model = make_model(cell, D=7, W=6, H=8, G=3)
    features, captions = make_batch(model, N=5, T=9, G=3)
    loss, grads = model.loss(features, captions)
    expected_loss, expected_grads = torch_loss_and_grads(model, features, captions)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert grads.keys() == model.params.keys()
    for name, grad in grads.items():
        assert grad.shape == model.params[name].shape
        assert rel(grad, expected_grads[name]) < 1e-10, name


@pytest.mark.parametrize("cell", CELLS)
def test_loss_gradient_numeric(cell):
    model = make_model(cell)
    features, captions = make_batch(model, N=2, T=5)
    _, grads = model.loss(features, captions)
    for name, param in model.params.items():
        num = eval_numerical_gradient(lambda _: model.loss(features, captions)[0], param, verbose=False)
        # Right gradients land at 1e-10 or below here; wrong ones at 1e-3 or more.
        assert rel(grads[name], num) < 1e-7, (name, rel(grads[name], num))


def test_initial_loss_is_about_log_v_per_word():
    # Tiny word vectors and zero biases: the scores start near uniform.
    np.random.seed(0)
    word_to_idx = {w: i for i, w in enumerate(SPECIAL + [f"w{i}" for i in range(97)])}
    model = CaptioningRNN(word_to_idx, input_dim=20, wordvec_dim=16, hidden_dim=16, cell_type="lstm",
                          dtype=np.float64)
    features, captions = make_batch(model, N=50, T=12, lengths=[10] * 50)
    loss, _ = model.loss(features, captions)
    words_per_caption = 11  # 10 words and <END>
    assert loss / words_per_caption == pytest.approx(np.log(100), rel=0.02)


@pytest.mark.parametrize("cell", CELLS)
def test_null_targets_do_not_count(cell):
    model = make_model(cell)
    features, captions = make_batch(model, N=4, T=7, lengths=[1, 5, 2, 3])
    loss, grads = model.loss(features, captions)
    # More padding adds only <NULL> targets: nothing changes.
    padded = np.hstack((captions, np.full((4, 3), model._null, dtype=captions.dtype)))
    loss_padded, grads_padded = model.loss(features, padded)
    assert loss_padded == pytest.approx(loss, rel=1e-13)
    for name in grads:
        np.testing.assert_allclose(grads_padded[name], grads[name], rtol=1e-10, atol=1e-14)
    # A target that is a word instead of <NULL> does count.
    unpadded = captions.copy()
    unpadded[0, -1] = model._end
    assert model.loss(features, unpadded)[0] > loss


@pytest.mark.parametrize("cell", CELLS)
def test_loss_is_sum_over_captions_divided_by_n(cell):
    model = make_model(cell)
    features, captions = make_batch(model, N=4, T=8, lengths=[6, 1, 3, 0])
    loss, _ = model.loss(features, captions)
    singles = [model.loss(features[i : i + 1], captions[i : i + 1])[0] for i in range(4)]
    assert loss == pytest.approx(sum(singles) / 4, rel=1e-12)


# --- sampling -----------------------------------------------------------------------------------


def greedy_by_teacher_forcing(model, features, sampled):
    """What a greedy decoder must have chosen, given its own previous words."""
    params = {k: torch.tensor(v) for k, v in model.params.items()}
    fed = np.hstack((np.full((len(sampled), 1), model._start), sampled[:, :-1]))
    with torch.no_grad():
        scores = torch_forward(params, model.cell_type, features, fed)
    return scores.argmax(dim=2).numpy()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("N", [1, 7])
def test_sample_shapes_and_greedy(cell, N):
    model = make_model(cell, D=7, W=6, H=8, G=3)
    features, _ = make_batch(model, N=N, G=3)
    captions = model.sample(features, max_length=11)
    assert captions.shape == (N, 11) and captions.dtype == np.int32
    assert captions.min() >= 0 and captions.max() < len(model.word_to_idx)
    np.testing.assert_array_equal(captions, greedy_by_teacher_forcing(model, features, captions))


def test_sample_uses_the_vocabulary_start_index():
    word_to_idx = vocab(special_first=False)
    assert word_to_idx["<START>"] != 1 and word_to_idx["<NULL>"] != 0
    for cell in CELLS:
        model = make_model(cell, word_to_idx=word_to_idx)
        features, _ = make_batch(model, N=4)
        captions = model.sample(features, max_length=6)
        np.testing.assert_array_equal(captions, greedy_by_teacher_forcing(model, features, captions))


def test_sample_default_length_and_return_attention():
    model = make_model("attention", D=7, W=6, H=8, G=3)
    features, _ = make_batch(model, N=4, G=3)
    captions = model.sample(features)
    assert captions.shape == (4, 30)
    again, weights = model.sample(features, max_length=30, return_attention=True)
    np.testing.assert_array_equal(again, captions)
    assert weights.shape == (4, 30, 3, 3)
    np.testing.assert_allclose(weights.sum(axis=(2, 3)), 1.0, rtol=1e-12)
    # Step 0 attends with h0 = mean of the projected grid.
    A = np.einsum("ndgk,dh->nhgk", features, model.params["W_proj"]) + model.params["b_proj"][:, None, None]
    s = np.einsum("nh,nhgk->ngk", A.mean(axis=(2, 3)), A) / np.sqrt(8)
    w0 = np.exp(s) / np.exp(s).sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(weights[:, 0], w0, rtol=1e-10)


# --- dtype --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_float32_stays_float32(cell):
    model = make_model(cell, dtype=np.float32)
    features, captions = make_batch(model, N=3, T=6)
    loss, grads = model.loss(features, captions)
    assert np.isfinite(loss)
    assert all(g.dtype == np.float32 for g in grads.values())
    out = model.sample(features, max_length=5, return_attention=cell == "attention")
    if cell == "attention":
        assert out[1].dtype == np.float32
        out = out[0]
    assert out.dtype == np.int32
    # float32 agrees with float64 to float32 precision.
    model64 = make_model(cell, dtype=np.float64)
    model64.params = {k: v.astype(np.float64) for k, v in model.params.items()}
    loss64, _ = model64.loss(features.astype(np.float64), captions)
    assert loss == pytest.approx(loss64, rel=1e-5)
