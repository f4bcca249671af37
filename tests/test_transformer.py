"""Tests of the captioning Transformer (cs231n/classifiers/transformer.py) and its solver."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cs231n.captioning_solver_transformer import (  # noqa: E402
    CaptioningSolverTransformer,
    transformer_temporal_softmax_loss,
)
from cs231n.classifiers.transformer import CaptioningTransformer  # noqa: E402

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "one", "two", "at", "top", "left"]
WORD_TO_IDX = {w: i for i, w in enumerate(WORDS)}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_model(seed=0, perturb=0.0, **kwargs):
    """A float64 model; ``perturb`` adds Gaussian noise of that size to every parameter (the
    initial weights are so small that the scores hardly depend on the inputs)."""
    torch.manual_seed(seed)
    options = dict(input_dim=6, wordvec_dim=16, num_heads=2, num_layers=2, max_length=20, dim_feedforward=32,
                   dropout=0.0)
    options.update(kwargs)
    model = CaptioningTransformer(WORD_TO_IDX, **options).double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(perturb * torch.randn_like(p))
    return model


def random_captions(rng, N, T):
    captions = rng.randint(3, len(WORDS), size=(N, T))
    captions[:, 0] = WORD_TO_IDX["<START>"]
    return torch.as_tensor(captions, dtype=torch.long)


def test_forward_shapes_for_vector_and_grid_features():
    model = make_model().eval()
    rng = np.random.RandomState(0)
    captions = random_captions(rng, 3, 7)
    vector = torch.as_tensor(rng.randn(3, 6))
    grid = torch.as_tensor(rng.randn(3, 6, 2, 2))
    assert model(vector, captions).shape == (3, 7, len(WORDS))
    assert model(grid, captions).shape == (3, 7, len(WORDS))


def test_grid_tokens_are_read_row_by_row_with_their_own_position():
    model = make_model(1, perturb=0.3).eval()
    rng = np.random.RandomState(1)
    grid = torch.as_tensor(rng.randn(2, 6, 3, 3))
    captions = random_captions(rng, 2, 4)
    model(grid, captions)
    assert model.transformer.layers[0].multihead_attn.last_attn.shape == (2, 2, 4, 9)
    # The memory of a grid: its cells in reading order, projected, plus a learned vector per cell.
    cells = grid.flatten(2).transpose(1, 2)                                   # (N, 9, D), reading order
    memory = model.visual_projection(cells) + model.memory_position.weight[:9]
    swapped = grid.clone()
    swapped[:, :, 0, 1], swapped[:, :, 1, 0] = grid[:, :, 1, 0], grid[:, :, 0, 1]
    assert not torch.allclose(model(swapped, captions), model(grid, captions))  # position matters
    layer_input = model.positional_encoding(model.embedding(captions))
    mask = torch.tril(torch.ones(4, 4))
    torch.testing.assert_close(model.output(model.transformer(layer_input, memory, mask)), model(grid, captions))


def test_scores_at_a_position_ignore_later_words():
    model = make_model(2, perturb=0.3).eval()
    rng = np.random.RandomState(2)
    features = torch.as_tensor(rng.randn(2, 6))
    captions = random_captions(rng, 2, 8)
    changed = captions.clone()
    changed[:, 5:] = random_captions(rng, 2, 3)
    a, b = model(features, captions), model(features, changed)
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_null_embedding_is_zero_and_parameters_are_small():
    model = make_model(3)
    assert torch.all(model.embedding.weight[WORD_TO_IDX["<NULL>"]] == 0)
    assert model.embedding.padding_idx == WORD_TO_IDX["<NULL>"]
    assert 0.015 < model.output.weight.std().item() < 0.025
    assert torch.all(model.output.bias == 0)


def test_sample_is_greedy_under_forward():
    model = make_model(4, perturb=0.3)
    rng = np.random.RandomState(4)
    features = rng.randn(5, 6, 2, 2)
    model.train()
    captions = model.sample(features, max_length=9)
    assert model.training, "sample must put the model back into train mode"
    assert captions.shape == (5, 9) and captions.dtype == np.int32
    model.eval()
    inputs = torch.cat([torch.full((5, 1), WORD_TO_IDX["<START>"]), torch.as_tensor(captions[:, :-1]).long()], 1)
    with torch.no_grad():
        scores = model(torch.as_tensor(features), inputs)
    np.testing.assert_array_equal(scores.argmax(-1).numpy(), captions)
    assert len(np.unique(captions)) > 1


def test_sample_handles_any_batch_size_and_vector_features():
    model = make_model(5, perturb=0.3)
    rng = np.random.RandomState(5)
    for N in (1, 4):
        captions = model.sample(rng.randn(N, 6).astype(np.float32), max_length=3)
        assert captions.shape == (N, 3)
    # One image sampled alone gets the caption it gets in a batch.
    features = rng.randn(3, 6)
    np.testing.assert_array_equal(model.sample(features[1:2], max_length=6), model.sample(features, 6)[1:2])


def test_loss_ignores_null_targets():
    rng = np.random.RandomState(6)
    scores = torch.as_tensor(rng.randn(2, 4, 5))
    targets = torch.as_tensor([[1, 2, 0, 0], [3, 4, 2, 0]])
    loss = transformer_temporal_softmax_loss(scores, targets, null_idx=0)
    logp = torch.log_softmax(scores, -1)
    words = [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]
    expected = -sum(logp[n, t, targets[n, t]] for n, t in words) / len(words)
    torch.testing.assert_close(loss, expected)


def tiny_data(rng, num_images=8, G=2, D=6):
    """A data dict in the captioning format with one fixed caption per image."""
    captions = np.zeros((num_images, 7), dtype=np.int32)
    for i in range(num_images):
        words = ["<START>", "a", WORDS[5 + i % 2], WORDS[7 + (i // 2) % 2], "at", "top", "<END>"]
        captions[i] = [WORD_TO_IDX[w] for w in words]
    spatial = rng.randn(num_images, D, G, G).astype(np.float32)
    return {"train_captions": captions, "train_image_idxs": np.arange(num_images, dtype=np.int32),
            "train_features": spatial.reshape(num_images, -1), "train_spatial_features": spatial,
            "train_images": np.zeros((num_images, 4, 4, 3), dtype=np.uint8),
            "idx_to_word": WORDS, "word_to_idx": WORD_TO_IDX}


def test_solver_overfits_a_tiny_set_and_is_deterministic():
    data = tiny_data(np.random.RandomState(7))

    def run():
        torch.manual_seed(0)
        model = CaptioningTransformer(WORD_TO_IDX, input_dim=6, wordvec_dim=16, num_heads=2, num_layers=1,
                                      dim_feedforward=32, max_length=10, dropout=0.0,
                                      feature_key="spatial_features")
        solver = CaptioningSolverTransformer(model, data, WORDS, batch_size=16, num_epochs=200,
                                             learning_rate=5e-3, verbose=False, seed=3)
        solver.train()
        return model, solver

    model, solver = run()
    assert len(solver.loss_history) == 200              # one iteration per epoch (8 captions < a batch)
    assert solver.loss_history[0] > 2.0                       # about log(V) at the start
    assert np.mean(solver.loss_history[-10:]) < 0.05          # 0.005 over seeds 0 to 4
    samples = model.sample(data["train_spatial_features"], max_length=6)
    np.testing.assert_array_equal(samples, data["train_captions"][:, 1:])
    _, again = run()
    assert again.loss_history == solver.loss_history


def test_solver_rejects_unknown_arguments():
    with pytest.raises(ValueError, match="unrecognized"):
        CaptioningSolverTransformer(make_model(), tiny_data(np.random.RandomState(0)), WORDS, learnin_rate=1)
