"""SimCLR: self-supervised learning of image features by contrasting views (Assignment 3).

- ``data_utils``: the augmentation that makes random views, the pair dataset;
- ``contrastive_loss``: the NT-Xent loss, naive and vectorized;
- ``model``: the encoder f and projection head g, and a linear classifier on f;
- ``utils``: one epoch of training, the k-nearest-neighbour monitor, the
  linear probe and the supervised baseline;
- ``pretrain``: the script that pretrains the shipped encoder, and its loader.

Chen, Kornblith, Norouzi and Hinton, "A Simple Framework for Contrastive
Learning of Visual Representations", ICML 2020.
"""
