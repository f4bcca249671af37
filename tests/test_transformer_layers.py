"""Tests of cs231n/transformer_layers.py: positional encoding, multi-head attention, decoder layer."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding, TransformerDecoderLayer  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ----------------------------------------------------------------- PositionalEncoding

@pytest.mark.parametrize("embed_dim, max_len", [(6, 40), (32, 200)])
def test_positional_encoding_table_matches_the_formula(embed_dim, max_len):
    pe = PositionalEncoding(embed_dim, dropout=0.0, max_len=max_len).pe
    assert tuple(pe.shape) == (1, max_len, embed_dim)
    t = np.arange(max_len)[:, None]
    i = np.arange(embed_dim // 2)[None, :]
    angle = t / 10000.0 ** (2 * i / embed_dim)
    expected = np.empty((max_len, embed_dim))
    expected[:, 0::2], expected[:, 1::2] = np.sin(angle), np.cos(angle)
    np.testing.assert_allclose(pe[0].double().numpy(), expected, atol=2e-6)


def test_positional_encoding_known_entries():
    pe = PositionalEncoding(4, dropout=0.0, max_len=3).pe[0].double().numpy()
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1], atol=1e-7)                        # position 0: sin 0, cos 0
    np.testing.assert_allclose(pe[1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)], atol=1e-6)


def test_positional_encoding_is_a_buffer_not_a_parameter():
    layer = PositionalEncoding(8, max_len=10)
    assert "pe" in dict(layer.named_buffers())
    assert not list(layer.parameters())


def test_positional_encoding_forward_adds_the_first_rows():
    layer = PositionalEncoding(8, dropout=0.0, max_len=20)
    x = randn(0, 3, 5, 8)
    out = layer(x)
    assert out.shape == x.shape and out.dtype == torch.float64
    torch.testing.assert_close(out, x + layer.pe[:, :5].double())


def test_positional_encoding_dropout_in_train_mode_only():
    layer = PositionalEncoding(16, dropout=0.5, max_len=30)
    x = randn(1, 4, 30, 16)
    torch.manual_seed(0)
    out = layer(x)
    zeros = (out == 0).double().mean().item()
    assert 0.4 < zeros < 0.6                          # half the entries dropped ...
    kept = out != 0
    torch.testing.assert_close(out[kept], 2 * (x + layer.pe.double())[kept])  # ... the rest scaled by 1/(1-p)
    layer.eval()
    torch.testing.assert_close(layer(x), x + layer.pe.double())


def test_positional_encoding_rejects_odd_dimensions():
    with pytest.raises(ValueError, match="even"):
        PositionalEncoding(5)


# ----------------------------------------------------------------- MultiHeadAttention

def reference_attention(mha, query, key, value, mask=None):
    """The same computation with torch's scaled_dot_product_attention (boolean mask: True = attend)."""
    N, S, E = query.shape
    T = key.shape[1]
    H, d = mha.n_head, E // mha.n_head
    q = mha.query(query).view(N, S, H, d).transpose(1, 2)
    k = mha.key(key).view(N, T, H, d).transpose(1, 2)
    v = mha.value(value).view(N, T, H, d).transpose(1, 2)
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else mask != 0)
    return mha.proj(heads.transpose(1, 2).reshape(N, S, E))


def make_mha(embed_dim, num_heads, seed=0):
    torch.manual_seed(seed)
    return MultiHeadAttention(embed_dim, num_heads, dropout=0.0).double().eval()


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_self_attention_matches_torch(num_heads):
    mha = make_mha(8, num_heads)
    x = randn(2, 3, 5, 8)
    out = mha(x, x, x)
    assert out.shape == (3, 5, 8)
    torch.testing.assert_close(out, reference_attention(mha, x, x, x))


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_causal_self_attention_matches_torch(num_heads):
    mha = make_mha(12, num_heads, seed=1)
    x = randn(3, 2, 6, 12)
    mask = torch.tril(torch.ones(6, 6))
    torch.testing.assert_close(mha(x, x, x, attn_mask=mask), reference_attention(mha, x, x, x, mask))


@pytest.mark.parametrize("S, T", [(3, 7), (6, 1), (5, 9)])
def test_cross_attention_with_other_lengths_matches_torch(S, T):
    mha = make_mha(8, 2, seed=2)
    query, memory = randn(4, 2, S, 8), randn(5, 2, T, 8)
    out = mha(query, memory, memory)
    assert out.shape == (2, S, 8)
    torch.testing.assert_close(out, reference_attention(mha, query, memory, memory))


def test_key_and_value_may_differ():
    mha = make_mha(8, 4, seed=3)
    q, k, v = randn(6, 2, 3, 8), randn(7, 2, 4, 8), randn(8, 2, 4, 8)
    torch.testing.assert_close(mha(q, k, v), reference_attention(mha, q, k, v))


def test_mask_of_any_pattern_matches_torch():
    mha = make_mha(8, 2, seed=4)
    q, kv = randn(9, 2, 4, 8), randn(10, 2, 5, 8)
    mask = (torch.rand(4, 5, generator=torch.Generator().manual_seed(0)) > 0.5).long()
    mask[:, 0] = 1                                  # every row attends somewhere
    torch.testing.assert_close(mha(q, kv, kv, attn_mask=mask), reference_attention(mha, q, kv, kv, mask))


def test_masked_positions_get_zero_weight_and_no_influence():
    mha = make_mha(8, 2, seed=5)
    x = randn(11, 1, 6, 8)
    mask = torch.tril(torch.ones(6, 6))
    out = mha(x, x, x, attn_mask=mask)
    weights = mha.last_attn
    assert weights.shape == (1, 2, 6, 6)
    assert torch.all(weights[..., mask == 0] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, 2, 6, dtype=torch.float64))
    # Changing the last position changes no earlier output under the causal mask.
    y = x.clone()
    y[:, -1] += 5.0
    out2 = mha(y, y, y, attn_mask=mask)
    torch.testing.assert_close(out2[:, :-1], out[:, :-1])
    assert not torch.allclose(out2[:, -1], out[:, -1])


def test_attention_weights_use_the_head_dimension_for_scaling():
    # One head, identity projections: the weights are softmax(x x^T / sqrt(E)).
    mha = make_mha(4, 1, seed=6)
    with torch.no_grad():
        for layer in (mha.query, mha.key, mha.value, mha.proj):
            layer.weight.copy_(torch.eye(4))
            layer.bias.zero_()
    x = randn(12, 1, 3, 4)
    out = mha(x, x, x)
    expected = torch.softmax(x @ x.transpose(1, 2) / 2.0, dim=-1)
    torch.testing.assert_close(mha.last_attn[:, 0], expected)
    torch.testing.assert_close(out, expected @ x)


def test_attention_dropout_drops_weights_in_train_mode():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2, dropout=0.5).double()
    x = randn(13, 2, 50, 8)
    torch.manual_seed(1)
    train_out = mha(x, x, x)
    mha.eval()
    eval_out = mha(x, x, x)
    assert not torch.allclose(train_out, eval_out)
    torch.testing.assert_close(eval_out, reference_attention(mha, x, x, x))


def test_heads_are_independent_blocks_of_features():
    # Zeroing the value projection of head 1 changes only head 1's part of the merged output.
    mha = make_mha(8, 2, seed=7)
    with torch.no_grad():
        mha.proj.weight.copy_(torch.eye(8))
        mha.proj.bias.zero_()
    x = randn(14, 2, 4, 8)
    before = mha(x, x, x)
    with torch.no_grad():
        mha.value.weight[4:] = 0
        mha.value.bias[4:] = 0
    after = mha(x, x, x)
    torch.testing.assert_close(after[..., :4], before[..., :4])
    assert torch.all(after[..., 4:] == 0)


def test_gradients_flow_to_every_projection():
    mha = make_mha(8, 2, seed=8)
    x = randn(15, 2, 3, 8).requires_grad_()
    mha(x, x, x, attn_mask=torch.tril(torch.ones(3, 3))).sum().backward()
    assert x.grad is not None and torch.all(torch.isfinite(x.grad))
    for name, p in mha.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_num_heads_must_divide_embed_dim():
    with pytest.raises(ValueError, match="divide"):
        MultiHeadAttention(10, 3)


# ----------------------------------------------------------------- TransformerDecoderLayer

def test_decoder_layer_shapes_and_causality():
    torch.manual_seed(0)
    layer = TransformerDecoderLayer(16, 4, dim_feedforward=32, dropout=0.0).double().eval()
    tgt, memory = randn(20, 3, 7, 16), randn(21, 3, 9, 16)
    mask = torch.tril(torch.ones(7, 7))
    out = layer(tgt, memory, tgt_mask=mask)
    assert out.shape == (3, 7, 16)
    # Post-norm: each position of the output is layer-normalised (mean 0, variance 1 before the affine).
    torch.testing.assert_close(out.mean(-1), torch.zeros(3, 7, dtype=torch.float64), atol=1e-10, rtol=0)
    later = tgt.clone()
    later[:, 4:] = randn(22, 3, 3, 16)
    torch.testing.assert_close(layer(later, memory, tgt_mask=mask)[:, :4], out[:, :4])


def test_decoder_layer_matches_a_hand_composition():
    torch.manual_seed(1)
    layer = TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0).double().eval()
    tgt, memory = randn(23, 2, 4, 8), randn(24, 2, 3, 8)
    mask = torch.tril(torch.ones(4, 4))
    x = F.layer_norm(tgt + reference_attention(layer.self_attn, tgt, tgt, tgt, mask), (8,),
                     layer.norm1.weight, layer.norm1.bias)
    x = F.layer_norm(x + reference_attention(layer.multihead_attn, x, memory, memory), (8,),
                     layer.norm2.weight, layer.norm2.bias)
    x = F.layer_norm(x + layer.linear2(F.relu(layer.linear1(x))), (8,), layer.norm3.weight, layer.norm3.bias)
    torch.testing.assert_close(layer(tgt, memory, tgt_mask=mask), x)
