"""Checks of the image captioning notebook with LSTMs and attention (``LSTM_Captioning.ipynb``).

As in ``RNN_Captioning``: the package checks call the LSTM and attention layers
of ``cs231n/rnn_layers.py`` and the ``lstm`` and ``attention`` cells of
``CaptioningRNN`` on float64 inputs and weights drawn from fixed seeds, and
the judges compare outputs and gradients with the reference's within tight
relative tolerances; every backward pass is probed through your own forward
pass. Sampled captions are compared word for word after the first ``<END>``
(and, for the attention weights, the steps after it) is blanked.

The notebook checks read the four models the notebook trains on the digit
captions: the LSTM and the attention LSTM that overfit 50 training captions
(their loss on them) and the two trained on the whole training set (BLEU-4 of
their greedy captions of the validation images). The attention models read the
spatial features through the notebook's ``add_location_channels``, which the
probes apply to the dataset as the notebook does.
"""
import numpy as np

from cs231n.checks import close, equal, fields, register, variable
from cs231n.checks.assignment3.RNN_Captioning import (SMALL_TRAIN, _f64, _features, _grads_judge,
                                                      _overfit_expect, _rng, after_end, bleu_expect,
                                                      cut_after_end, judge_bleu, judge_model_loss,
                                                      judge_overfit, model_loss, model_sample, overfit_loss,
                                                      sample_model, sampled_val_captions)

# The two training cells of the BLEU models run about 20 s each on a quiet core; a loaded
# grading machine can be 2-3 times slower.
STEP_SECONDS = 120


# --------------------------------------------------------------- inputs

def _lstm_weights(rng, D, H, attention=False):
    """Wx (D, 4H), Wh (H, 4H), [Wattn (H, 4H)], b (4H,): activations of order 1, gates not saturated."""
    Wx, Wh = rng.randn(D, 4 * H) / np.sqrt(D), rng.randn(H, 4 * H) / np.sqrt(H)
    Wattn = rng.randn(H, 4 * H) / np.sqrt(H) if attention else None
    b = 0.3 * rng.randn(4 * H)
    return Wx, Wh, Wattn, b


# --------------------------------------------------------------- lstm_step_forward / backward

def _lstm_step(seed, N, D, H):
    rng = _rng(seed)
    x, prev_h, prev_c = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, _, b = _lstm_weights(rng, D, H)
    dnext_h, dnext_c = rng.randn(N, H), rng.randn(N, H)
    return x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c


def _step_forward(seed, N, D, H):
    from cs231n.rnn_layers import lstm_step_forward
    x, prev_h, prev_c, Wx, Wh, b, _, _ = _lstm_step(seed, N, D, H)
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return {"next_h": _f64(next_h, "next_h"), "next_c": _f64(next_c, "next_c")}


STEP_FORWARD_JUDGE = fields(next_h=close(1e-9, "rel", "next_h"), next_c=close(1e-9, "rel", "next_c"))


@register("test_lstm_step_forward", "lstm_step_forward with N, D, H = 3, 4, 5: next_h and next_c "
          "(gates in the order i, f, o, g)", STEP_FORWARD_JUDGE)
def lstm_step_forward_small(ns):
    return _step_forward(0, 3, 4, 5)


### BEGIN HIDDEN TESTS
@register("test_lstm_step_forward", "lstm_step_forward with other sizes (N, D, H = 6, 2, 8)",
          STEP_FORWARD_JUDGE, hidden=True)
def lstm_step_forward_other(ns):
    return _step_forward(1, 6, 2, 8)
### END HIDDEN TESTS


LSTM_STEP_GRADS = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")


def _step_backward(seed, N, D, H, dnext_c_zero=False):
    from cs231n.rnn_layers import lstm_step_backward, lstm_step_forward
    x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c = _lstm_step(seed, N, D, H)
    if dnext_c_zero:
        dnext_c = np.zeros_like(dnext_c)
    _, _, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    grads = lstm_step_backward(dnext_h, dnext_c, cache)
    return {name: _f64(g, name) for name, g in zip(LSTM_STEP_GRADS, grads)}


@register("test_lstm_step_backward", "lstm_step_backward after lstm_step_forward with N, D, H = 4, 5, 6 and "
          "upstream gradients on next_h and next_c: dx, dprev_h, dprev_c, dWx, dWh, db",
          _grads_judge(LSTM_STEP_GRADS))
def lstm_step_backward_small(ns):
    return _step_backward(2, 4, 5, 6)


### BEGIN HIDDEN TESTS
@register("test_lstm_step_backward", "lstm_step_backward with other sizes (N, D, H = 2, 7, 3), and with "
          "dnext_c = 0", fields(both=_grads_judge(LSTM_STEP_GRADS), h_only=_grads_judge(LSTM_STEP_GRADS)),
          hidden=True)
def lstm_step_backward_other(ns):
    return {"both": _step_backward(3, 2, 7, 3), "h_only": _step_backward(4, 3, 3, 4, dnext_c_zero=True)}
### END HIDDEN TESTS


# --------------------------------------------------------------- lstm_forward / backward

def _lstm_sequence(seed, N, T, D, H):
    rng = _rng(seed)
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, _, b = _lstm_weights(rng, D, H)
    dh = rng.randn(N, T, H)
    return x, h0, Wx, Wh, b, dh


def _forward(seed, N, T, D, H):
    from cs231n.rnn_layers import lstm_forward
    x, h0, Wx, Wh, b, _ = _lstm_sequence(seed, N, T, D, H)
    h, _ = lstm_forward(x, h0, Wx, Wh, b)
    return _f64(h, "h")


@register("test_lstm_forward", "lstm_forward with N, T, D, H = 2, 3, 5, 4: the hidden states of every step "
          "(c0 = 0)", close(1e-9, "rel", "h"))
def lstm_forward_small(ns):
    return _forward(5, 2, 3, 5, 4)


### BEGIN HIDDEN TESTS
@register("test_lstm_forward", "lstm_forward with other sizes (N, T, D, H = 4, 11, 3, 2) and T = 1",
          fields(long=close(1e-9, "rel", "h (T = 11)"), single=close(1e-9, "rel", "h (T = 1)")), hidden=True)
def lstm_forward_other(ns):
    return {"long": _forward(6, 4, 11, 3, 2), "single": _forward(7, 3, 1, 2, 5)}
### END HIDDEN TESTS


SEQ_GRADS = ("dx", "dh0", "dWx", "dWh", "db")


def _backward(seed, N, T, D, H, last_only=False):
    from cs231n.rnn_layers import lstm_backward, lstm_forward
    x, h0, Wx, Wh, b, dh = _lstm_sequence(seed, N, T, D, H)
    if last_only:
        dh[:, :-1] = 0
    _, cache = lstm_forward(x, h0, Wx, Wh, b)
    return {name: _f64(g, name) for name, g in zip(SEQ_GRADS, lstm_backward(dh, cache))}


@register("test_lstm_backward", "lstm_backward after lstm_forward with N, T, D, H = 2, 8, 3, 6 and an upstream "
          "gradient on every hidden state: dx, dh0, dWx, dWh, db", _grads_judge(SEQ_GRADS))
def lstm_backward_small(ns):
    return _backward(8, 2, 8, 3, 6)


@register("test_lstm_backward", "lstm_backward with a gradient on the last hidden state only (N, T, D, H = "
          "3, 6, 4, 4): the gradient must flow back through every step, through h and c, to dh0",
          _grads_judge(SEQ_GRADS))
def lstm_backward_last_only(ns):
    return _backward(9, 3, 6, 4, 4, last_only=True)


### BEGIN HIDDEN TESTS
@register("test_lstm_backward", "lstm_backward with other sizes (N, T, D, H = 5, 4, 2, 7) and T = 1",
          fields(long=_grads_judge(SEQ_GRADS), single=_grads_judge(SEQ_GRADS)), hidden=True)
def lstm_backward_other(ns):
    return {"long": _backward(10, 5, 4, 2, 7), "single": _backward(11, 2, 1, 3, 3)}
### END HIDDEN TESTS


# --------------------------------------------------------------- CaptioningRNN('lstm')

@register("test_lstm_loss", "CaptioningRNN(cell_type='lstm') in float64 with seeded weights, on 6 captions of "
          "8 tokens padded with <NULL>: the loss and the gradient of every parameter",
          judge_model_loss("lstm"), weight=2)
def lstm_model_loss(ns):
    return model_loss("lstm", 40)


### BEGIN HIDDEN TESTS
@register("test_lstm_loss", "CaptioningRNN('lstm') with other sizes (N, T, V = 4, 11, 13; D, W, H = 9, 5, 6)",
          judge_model_loss("lstm"), hidden=True)
def lstm_model_loss_other(ns):
    return model_loss("lstm", 41, N=4, T=11, V=13, input_dim=9, wordvec_dim=5, hidden_dim=6)
### END HIDDEN TESTS


@register("test_lstm_sample", "CaptioningRNN('lstm').sample in float64 with seeded weights: the greedy "
          "captions (max_length=10) of one image and of a batch of 5",
          fields(one=equal("the caption of one image"), batch=equal("the captions of 5 images")))
def lstm_model_sample(ns):
    return {"one": model_sample("lstm", 50, 1, 10), "batch": model_sample("lstm", 51, 5, 10)}


### BEGIN HIDDEN TESTS
@register("test_lstm_sample", "CaptioningRNN('lstm').sample with other sizes and max_length=6",
          equal("the captions"), hidden=True)
def lstm_model_sample_other(ns):
    return model_sample("lstm", 52, 7, 6, V=17, input_dim=4, wordvec_dim=8, hidden_dim=5)
### END HIDDEN TESTS


# --------------------------------------------------------------- dot_product_attention

def _attention_inputs(seed, N, H, G):
    rng = _rng(seed)
    prev_h, A = rng.randn(N, H), rng.randn(N, H, G, G)
    dattn = rng.randn(N, H)
    return prev_h, A, dattn


def _attention_forward(seed, N, H, G):
    from cs231n.rnn_layers import dot_product_attention
    prev_h, A, _ = _attention_inputs(seed, N, H, G)
    attn, attn_weights, _ = dot_product_attention(prev_h, A)
    return {"attn": _f64(attn, "attn"), "attn_weights": _f64(attn_weights, "attn_weights")}


ATTENTION_JUDGE = fields(attn=close(1e-9, "rel", "attn"), attn_weights=close(1e-9, "rel", "attn_weights"))


@register("test_dot_product_attention", "dot_product_attention with N, H, G = 2, 5, 3: attn (N, H) and "
          "attn_weights (N, G, G), scores scaled by 1 / sqrt(H)", ATTENTION_JUDGE)
def attention_forward_small(ns):
    return _attention_forward(60, 2, 5, 3)


### BEGIN HIDDEN TESTS
@register("test_dot_product_attention", "dot_product_attention with other sizes (N, H, G = 4, 16, 2) and large "
          "scores (a stable softmax is needed)", ATTENTION_JUDGE, hidden=True)
def attention_forward_other(ns):
    from cs231n.rnn_layers import dot_product_attention
    prev_h, A, _ = _attention_inputs(61, 4, 16, 2)
    attn, attn_weights, _ = dot_product_attention(30 * prev_h, 30 * A)
    return {"attn": _f64(attn, "attn"), "attn_weights": _f64(attn_weights, "attn_weights")}
### END HIDDEN TESTS


ATTENTION_GRADS = ("dprev_h", "dA")


def _attention_backward(seed, N, H, G):
    from cs231n.rnn_layers import dot_product_attention, dot_product_attention_backward
    prev_h, A, dattn = _attention_inputs(seed, N, H, G)
    _, _, cache = dot_product_attention(prev_h, A)
    return {name: _f64(g, name) for name, g in zip(ATTENTION_GRADS, dot_product_attention_backward(dattn, cache))}


@register("test_dot_product_attention_backward", "dot_product_attention_backward after dot_product_attention "
          "with N, H, G = 3, 4, 3: dprev_h and dA", _grads_judge(ATTENTION_GRADS))
def attention_backward_small(ns):
    return _attention_backward(62, 3, 4, 3)


### BEGIN HIDDEN TESTS
@register("test_dot_product_attention_backward", "dot_product_attention_backward with other sizes "
          "(N, H, G = 5, 7, 2)", _grads_judge(ATTENTION_GRADS), hidden=True)
def attention_backward_other(ns):
    return _attention_backward(63, 5, 7, 2)
### END HIDDEN TESTS


# --------------------------------------------------------------- attention_lstm_step_forward / backward

def _attention_step(seed, N, D, H):
    rng = _rng(seed)
    x, prev_h, prev_c, attn = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, Wattn, b = _lstm_weights(rng, D, H, attention=True)
    dnext_h, dnext_c = rng.randn(N, H), rng.randn(N, H)
    return x, prev_h, prev_c, attn, Wx, Wh, Wattn, b, dnext_h, dnext_c


def _attention_step_forward(seed, N, D, H):
    from cs231n.rnn_layers import attention_lstm_step_forward
    x, prev_h, prev_c, attn, Wx, Wh, Wattn, b, _, _ = _attention_step(seed, N, D, H)
    next_h, next_c, _ = attention_lstm_step_forward(x, prev_h, prev_c, attn, Wx, Wh, Wattn, b)
    return {"next_h": _f64(next_h, "next_h"), "next_c": _f64(next_c, "next_c")}


@register("test_attention_lstm_step_forward", "attention_lstm_step_forward with N, D, H = 3, 4, 5: next_h and "
          "next_c", STEP_FORWARD_JUDGE)
def attention_step_forward_small(ns):
    return _attention_step_forward(70, 3, 4, 5)


### BEGIN HIDDEN TESTS
@register("test_attention_lstm_step_forward", "attention_lstm_step_forward with other sizes (N, D, H = 5, 6, 2)",
          STEP_FORWARD_JUDGE, hidden=True)
def attention_step_forward_other(ns):
    return _attention_step_forward(71, 5, 6, 2)
### END HIDDEN TESTS


ATTENTION_STEP_GRADS = ("dx", "dprev_h", "dprev_c", "dattn", "dWx", "dWh", "dWattn", "db")


def _attention_step_backward(seed, N, D, H):
    from cs231n.rnn_layers import attention_lstm_step_backward, attention_lstm_step_forward
    x, prev_h, prev_c, attn, Wx, Wh, Wattn, b, dnext_h, dnext_c = _attention_step(seed, N, D, H)
    _, _, cache = attention_lstm_step_forward(x, prev_h, prev_c, attn, Wx, Wh, Wattn, b)
    grads = attention_lstm_step_backward(dnext_h, dnext_c, cache)
    return {name: _f64(g, name) for name, g in zip(ATTENTION_STEP_GRADS, grads)}


@register("test_attention_lstm_step_backward", "attention_lstm_step_backward after attention_lstm_step_forward "
          "with N, D, H = 4, 3, 5: dx, dprev_h, dprev_c, dattn, dWx, dWh, dWattn, db",
          _grads_judge(ATTENTION_STEP_GRADS))
def attention_step_backward_small(ns):
    return _attention_step_backward(72, 4, 3, 5)


### BEGIN HIDDEN TESTS
@register("test_attention_lstm_step_backward", "attention_lstm_step_backward with other sizes (N, D, H = 2, 8, 3)",
          _grads_judge(ATTENTION_STEP_GRADS), hidden=True)
def attention_step_backward_other(ns):
    return _attention_step_backward(73, 2, 8, 3)
### END HIDDEN TESTS


# --------------------------------------------------------------- attention_lstm_forward / backward

def _attention_sequence(seed, N, T, D, H, G):
    rng = _rng(seed)
    x, A = rng.randn(N, T, D), rng.randn(N, H, G, G)
    Wx, Wh, Wattn, b = _lstm_weights(rng, D, H, attention=True)
    dh = rng.randn(N, T, H)
    return x, A, Wx, Wh, Wattn, b, dh


def _attention_forward_seq(seed, N, T, D, H, G):
    from cs231n.rnn_layers import attention_lstm_forward
    x, A, Wx, Wh, Wattn, b, _ = _attention_sequence(seed, N, T, D, H, G)
    h, attn_weights, _ = attention_lstm_forward(x, A, Wx, Wh, Wattn, b)
    return {"h": _f64(h, "h"), "attn_weights": _f64(attn_weights, "attn_weights")}


SEQ_FORWARD_JUDGE = fields(h=close(1e-9, "rel", "h"), attn_weights=close(1e-9, "rel", "attn_weights"))


@register("test_attention_lstm_forward", "attention_lstm_forward with N, T, D, H, G = 2, 4, 3, 5, 3: the hidden "
          "states h (N, T, H) and the attention weights (N, T, G, G) of every step (h0 = c0 = mean of A)",
          SEQ_FORWARD_JUDGE)
def attention_forward_seq_small(ns):
    return _attention_forward_seq(80, 2, 4, 3, 5, 3)


### BEGIN HIDDEN TESTS
@register("test_attention_lstm_forward", "attention_lstm_forward with other sizes (N, T, D, H, G = 3, 7, 2, 4, 2)",
          SEQ_FORWARD_JUDGE, hidden=True)
def attention_forward_seq_other(ns):
    return _attention_forward_seq(81, 3, 7, 2, 4, 2)
### END HIDDEN TESTS


ATTENTION_SEQ_GRADS = ("dx", "dA", "dWx", "dWh", "dWattn", "db")


def _attention_backward_seq(seed, N, T, D, H, G, last_only=False):
    from cs231n.rnn_layers import attention_lstm_backward, attention_lstm_forward
    x, A, Wx, Wh, Wattn, b, dh = _attention_sequence(seed, N, T, D, H, G)
    if last_only:
        dh[:, :-1] = 0
    _, _, cache = attention_lstm_forward(x, A, Wx, Wh, Wattn, b)
    grads = attention_lstm_backward(dh, cache)
    return {name: _f64(g, name) for name, g in zip(ATTENTION_SEQ_GRADS, grads)}


@register("test_attention_lstm_backward", "attention_lstm_backward after attention_lstm_forward with N, T, D, H, "
          "G = 2, 5, 3, 4, 3: dx, dA (through the attention of every step and through h0 and c0), dWx, dWh, "
          "dWattn, db", _grads_judge(ATTENTION_SEQ_GRADS))
def attention_backward_seq_small(ns):
    return _attention_backward_seq(82, 2, 5, 3, 4, 3)


@register("test_attention_lstm_backward", "attention_lstm_backward with a gradient on the last hidden state only "
          "(N, T, D, H, G = 3, 4, 2, 3, 2)", _grads_judge(ATTENTION_SEQ_GRADS))
def attention_backward_seq_last_only(ns):
    return _attention_backward_seq(83, 3, 4, 2, 3, 2, last_only=True)


### BEGIN HIDDEN TESTS
@register("test_attention_lstm_backward", "attention_lstm_backward with other sizes (N, T, D, H, G = 4, 3, 5, 6, 2) "
          "and T = 1", fields(long=_grads_judge(ATTENTION_SEQ_GRADS), single=_grads_judge(ATTENTION_SEQ_GRADS)),
          hidden=True)
def attention_backward_seq_other(ns):
    return {"long": _attention_backward_seq(84, 4, 3, 5, 6, 2),
            "single": _attention_backward_seq(85, 2, 1, 3, 4, 3)}
### END HIDDEN TESTS


# --------------------------------------------------------------- CaptioningRNN('attention')

@register("test_attention_loss", "CaptioningRNN(cell_type='attention') in float64 with seeded weights, on spatial "
          "features (N, D, G, G) = (6, 20, 3, 3) and 6 captions of 8 tokens: the loss and the gradient of every "
          "parameter", judge_model_loss("attention"), weight=2)
def attention_model_loss(ns):
    return model_loss("attention", 90, G=3)


### BEGIN HIDDEN TESTS
@register("test_attention_loss", "CaptioningRNN('attention') with other sizes (N, T, V = 3, 10, 11; D, W, H, G = "
          "7, 4, 5, 2)", judge_model_loss("attention"), hidden=True)
def attention_model_loss_other(ns):
    return model_loss("attention", 91, N=3, T=10, V=11, input_dim=7, wordvec_dim=4, hidden_dim=5, G=2)
### END HIDDEN TESTS


def attention_sample(seed, N, max_length, V=12, input_dim=20, wordvec_dim=6, hidden_dim=7, G=3):
    """Greedy captions and attention weights of a seeded float64 attention model; after the first
    <END>, words are set to <NULL> and weights to 0."""
    model = sample_model("attention", seed, V, input_dim, wordvec_dim, hidden_dim, G)
    features = _features(_rng(seed + 200), N, input_dim, G)
    captions, weights = model.sample(features, max_length=max_length, return_attention=True)
    captions = np.asarray(captions)
    weights = _f64(weights, "the attention weights")
    if weights.shape != (N, max_length, G, G):
        raise ValueError(f"the attention weights have shape {weights.shape}, expected {(N, max_length, G, G)}")
    cut = cut_after_end(captions)
    weights[after_end(cut)] = 0.0
    return {"captions": cut, "weights": weights}


ATTENTION_SAMPLE_JUDGE = fields(captions=equal("the captions"), weights=close(1e-8, "rel", "the attention weights"))


@register("test_attention_sample", "CaptioningRNN('attention').sample in float64 with seeded weights: the greedy "
          "captions (max_length=10) of one image and of a batch of 5",
          fields(one=equal("the caption of one image"), batch=equal("the captions of 5 images")))
def attention_model_sample(ns):
    return {"one": model_sample("attention", 92, 1, 10, G=3), "batch": model_sample("attention", 93, 5, 10, G=3)}


@register("test_attention_sample", "CaptioningRNN('attention').sample(..., return_attention=True) on 4 images: the "
          "captions and the attention weights (N, max_length, G, G) of every generated word",
          ATTENTION_SAMPLE_JUDGE)
def attention_model_sample_weights(ns):
    return attention_sample(94, 4, 8)


### BEGIN HIDDEN TESTS
@register("test_attention_sample", "CaptioningRNN('attention').sample with other sizes (G = 2, max_length=5), "
          "with the attention weights", ATTENTION_SAMPLE_JUDGE, hidden=True)
def attention_model_sample_other(ns):
    return attention_sample(95, 6, 5, V=15, input_dim=5, wordvec_dim=3, hidden_dim=6, G=2)
### END HIDDEN TESTS


# --------------------------------------------------------------- the trained models

def _locations(ns):
    """The notebook's add_location_channels: the attention models read the spatial features with a
    one-hot code of each cell's location appended."""
    add = variable(ns, "add_location_channels")
    if not callable(add):
        raise TypeError("add_location_channels should be a function")
    return add


# Measured on the reference over seeds 0 to 3 of the notebook's training cells (the notebook runs
# seed 0): losses on the 50 captions 0.028 to 0.036 (LSTM, 0.0356 for seed 0) and 0.013 to 0.022
# (attention, 0.0224); validation BLEU-4 0.529 to 0.546 (LSTM, 0.529) and 0.844 to 0.873
# (attention, 0.855). Without the location channels the attention model reaches only 0.38; the
# caption of the nearest training image scores 0.43.
LSTM_OVERFIT_BELOW, LSTM_OVERFIT_REFERENCE = 0.1, 0.0356
LSTM_BLEU_AT_LEAST, LSTM_BLEU_REFERENCE = 0.47, 0.529
ATTENTION_OVERFIT_BELOW, ATTENTION_OVERFIT_REFERENCE = 0.1, 0.0224
ATTENTION_BLEU_AT_LEAST, ATTENTION_BLEU_REFERENCE = 0.78, 0.855


@register("test_lstm_overfit", f"small_lstm_model, trained on {SMALL_TRAIN} captions: its loss on them "
          f"< {LSTM_OVERFIT_BELOW:g}", judge_overfit(LSTM_OVERFIT_BELOW, LSTM_OVERFIT_REFERENCE), notebook=True,
          expect=_overfit_expect)
def lstm_overfit(ns):
    return overfit_loss(ns, "small_lstm_model", "lstm")


@register("test_lstm_bleu", f"lstm_model, trained on the training captions: BLEU-4 of its greedy captions of the "
          f"validation images >= {LSTM_BLEU_AT_LEAST:g}", judge_bleu(LSTM_BLEU_AT_LEAST, LSTM_BLEU_REFERENCE),
          notebook=True, expect=bleu_expect)
def lstm_bleu(ns):
    return sampled_val_captions(ns, "lstm_model", "lstm")


@register("test_attention_overfit", f"small_attention_model, trained on {SMALL_TRAIN} captions: its loss on them "
          f"< {ATTENTION_OVERFIT_BELOW:g}", judge_overfit(ATTENTION_OVERFIT_BELOW, ATTENTION_OVERFIT_REFERENCE),
          notebook=True, expect=_overfit_expect)
def attention_overfit(ns):
    return overfit_loss(ns, "small_attention_model", "attention", _locations(ns))


@register("test_attention_bleu", f"attention_model, trained on the training captions: BLEU-4 of its greedy captions "
          f"of the validation images >= {ATTENTION_BLEU_AT_LEAST:g}",
          judge_bleu(ATTENTION_BLEU_AT_LEAST, ATTENTION_BLEU_REFERENCE), notebook=True, expect=bleu_expect)
def attention_bleu(ns):
    return sampled_val_captions(ns, "attention_model", "attention", _locations(ns))
