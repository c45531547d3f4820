"""Every trainable model of the hub: name -> where its train/evaluate functions live.

Modules are imported only when a model is asked for, so the CLI and the app stay light.
"""
from __future__ import annotations

import importlib

# name: (module, train function, evaluate function, model-card title, what it is)
MODELS = {
    "mlp": ("models.digits", "train_mlp", "evaluate_mlp", "MNIST multilayer perceptron",
            "A 784-512-256-10 ReLU MLP for handwritten digits (the DNN tab)."),
    "cnn": ("models.digits", "train_cnn", "evaluate_cnn", "MNIST convolutional network",
            "Four 3x3 conv layers with batch norm and two max-pools, then two dense layers (the CNN tab)."),
    "resnet": ("models.resnet", "train_resnet", "evaluate_resnet", "Fashion-MNIST ResNet-20",
               "A CIFAR-style ResNet-20 (3x3 stem, 3 stages of 3 BasicBlocks at 16/32/64 channels, identity and "
               "1x1-projection shortcuts, global average pooling) classifying Fashion-MNIST clothes (the ResNet tab)."),
    "plain": ("models.resnet", "train_plain", "evaluate_plain", "Fashion-MNIST plain 20-layer network",
              "The ResNet-20 without its shortcut connections (same depth, widths and training), to show what "
              "residual learning adds (the ResNet tab)."),
    "lightweight": ("models.resnet", "train_lightweight", "evaluate_lightweight",
                    "Fashion-MNIST lightweight (MobileNet-style) network",
                    "A MobileNet-v1-style network of depthwise-separable convolutions (16-32-64-128 channels), "
                    "trained like the ResNet, for the parameters / multiply-adds / latency / accuracy comparison "
                    "(the ResNet tab)."),
    "lstm": ("models.sentiment", "train_lstm", "evaluate_lstm", "MR sentence-sentiment LSTM",
             "A one-layer LSTM reading a movie-review sentence word by word (embeddings initialised from "
             "this hub's Word2Vec), positive/negative from its last hidden state (the LSTM tab)."),
    "rnn": ("models.sentiment", "train_rnn", "evaluate_rnn", "MR sentence-sentiment plain RNN",
            "The LSTM's twin with a plain tanh RNN cell instead, trained the same way, to show what gates add "
            "(the LSTM tab)."),
    "word2vec": ("models.word2vec", "train", "evaluate", "Word2Vec skip-gram word vectors",
                 "100-dimensional skip-gram (negative sampling) word vectors learned with gensim from about 4.6 M "
                 "words of English text (the Word2Vec tab)."),
    "gpt": ("models.gpt", "train", "evaluate", "Tiny Shakespeare character-level GPT",
            "A small decoder-only transformer (transformers GPT2LMHeadModel, 4 layers x 4 heads, 192-dim, 128 "
            "characters of context) with a character tokenizer, trained on the first 90% of Tiny Shakespeare "
            "(the Transformer tab)."),
    "gan": ("models.gan", "train_all", "evaluate_all", "DCGANs for MNIST and Fashion-MNIST",
            "Both class-conditional DCGANs of the GAN tab at once (gan-mnist, gan-fashion); evaluate also "
            "records each one's metrics in its model card."),
    "gan-mnist": ("models.gan", "train_gan_mnist", "evaluate_gan_mnist", "MNIST class-conditional DCGAN",
                  "A DCGAN (transposed-convolution generator with batch norm, spectral-norm projection "
                  "discriminator) generating handwritten digits of a chosen class (the GAN tab)."),
    "gan-fashion": ("models.gan", "train_gan_fashion", "evaluate_gan_fashion",
                    "Fashion-MNIST class-conditional DCGAN",
                    "The MNIST DCGAN's twin trained on Fashion-MNIST clothes (the GAN tab)."),
    "diffusion": ("models.diffusion", "train_all", "evaluate_all", "DDPMs for MNIST and Fashion-MNIST",
                  "Both class-conditional DDPMs of the Diffusion tab at once (ddpm-mnist, ddpm-fashion); evaluate "
                  "also records each one's metrics in its model card."),
    "ddpm-mnist": ("models.diffusion", "train_ddpm_mnist", "evaluate_ddpm_mnist", "MNIST class-conditional DDPM",
                   "A denoising diffusion model (diffusers UNet2DModel + DDPMScheduler, 32x32, class embedding) "
                   "generating handwritten digits, sampled with DDPM or DDIM (the Diffusion tab)."),
    "ddpm-fashion": ("models.diffusion", "train_ddpm_fashion", "evaluate_ddpm_fashion",
                     "Fashion-MNIST class-conditional DDPM",
                     "The MNIST DDPM's twin trained on Fashion-MNIST clothes (the Diffusion tab)."),
    "gcn": ("models.gnn", "train_gcn", "evaluate_gcn", "GCN and MLP on Cora and CiteSeer",
            "All four node classifiers of the GNN tab at once (gcn-cora, gcn-citeseer, mlp-cora, mlp-citeseer)."),
    "gcn-cora": ("models.gnn", "train_gcn_cora", "evaluate_gcn_cora", "Cora graph convolutional network",
                 "Two GCN layers (Kipf & Welling) classifying Cora papers into 7 topics from their words and "
                 "their citations (the GNN tab)."),
    "gcn-citeseer": ("models.gnn", "train_gcn_citeseer", "evaluate_gcn_citeseer",
                     "CiteSeer graph convolutional network",
                     "Two GCN layers (Kipf & Welling) classifying CiteSeer papers into 6 topics from their words "
                     "and their citations (the GNN tab)."),
    "mlp-cora": ("models.gnn", "train_mlp_cora", "evaluate_mlp_cora", "Cora MLP baseline (no graph)",
                 "The Cora GCN without the edges: two dense layers on each paper's words alone, trained the same "
                 "way, to show what the graph adds (the GNN tab)."),
    "mlp-citeseer": ("models.gnn", "train_mlp_citeseer", "evaluate_mlp_citeseer", "CiteSeer MLP baseline (no graph)",
                     "The CiteSeer GCN without the edges: two dense layers on each paper's words alone, trained "
                     "the same way, to show what the graph adds (the GNN tab)."),
    "dqn": ("models.dqn", "train_dqn", "evaluate_dqn", "CartPole deep Q-network",
            "A DQN (replay buffer, target network, epsilon-greedy exploration, Huber loss) balancing the pole "
            "of gymnasium's CartPole-v1 (the DQN tab)."),
}


def _function(name: str, index: int):
    if name not in MODELS:
        raise SystemExit(f"unknown model {name!r}; choose from: {', '.join(MODELS)}")
    module = importlib.import_module(MODELS[name][0])
    return getattr(module, MODELS[name][index])


def train(name: str, **kwargs) -> dict:
    return _function(name, 1)(**kwargs)


def evaluate(name: str, **kwargs) -> dict:
    return _function(name, 2)(**kwargs)


def describe(name: str) -> tuple[str, str]:
    return MODELS[name][3], MODELS[name][4]
