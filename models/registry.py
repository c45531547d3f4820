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
    "autoencoder": ("models.autoencoder", "train_all", "evaluate_all", "Autoencoders, VAE and PCA for MNIST",
                    "All four models of the Autoencoder tab at once (pca-mnist, ae-mnist, vae-mnist, dae-mnist); "
                    "evaluate also records each one's metrics in its model card."),
    "ae-mnist": ("models.autoencoder", "train_ae_mnist", "evaluate_ae_mnist", "MNIST autoencoder with a 2-D code",
                 "An MLP autoencoder (784-512-256-2-256-512-784) that squeezes each digit into two numbers and "
                 "rebuilds it from them (the Autoencoder tab)."),
    "vae-mnist": ("models.autoencoder", "train_vae_mnist", "evaluate_vae_mnist",
                  "MNIST variational autoencoder with a 2-D latent",
                  "A VAE with the autoencoder's layers: a Gaussian encoder q(z|x) over a 2-D latent, a Bernoulli decoder "
                  "p(x|z), trained on the negative ELBO (the Autoencoder tab)."),
    "dae-mnist": ("models.autoencoder", "train_dae_mnist", "evaluate_dae_mnist", "MNIST denoising autoencoder",
                  "An MLP autoencoder with a 32-D code trained to rebuild clean digits from noisy copies "
                  "(the Autoencoder tab)."),
    "pca-mnist": ("models.autoencoder", "train_pca_mnist", "evaluate_pca_mnist", "MNIST PCA with 2 components",
                  "Principal component analysis with 2 components, the best linear autoencoder with a 2-D code: the "
                  "baseline of the Autoencoder tab."),
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
    "detector": ("models.detection", "train_detector", "evaluate_detector", "Handwritten-digit detector (CenterNet on a ResNet)",
                 "A one-stage CenterNet-style detector: a small ResNet backbone (BasicBlocks at 16-32-64-96 channels, "
                 "strides 4-16) with an FPN-style neck back to stride 4, a heatmap per digit class plus box size and "
                 "centre offset, 3x3 max-pool peaks and NMS; finds and reads every digit of a drawing (the ResNet tab). "
                 "Two-stage reading (as in R-CNN): each box is also read by the crop reader (weights/crop-reader), "
                 "which can drop it as \"not a digit\"; duplicates are then suppressed on these two-stage scores "
                 "(NMS after reading, each kept box reading the votes of the candidates overlapping it) and a box gets "
                 "the digit with the highest product of the reader's probability and the detector's heatmap score "
                 "(two_stage_* metrics; map50 / exact_reads are the detector alone)."),
    "crop-reader": ("models.crop_reader", "train_crop_reader", "evaluate_crop_reader",
                    "Detected-digit reader (second stage of the detector)",
                    "Four small CNNs (each 3 stages of two 3x3 convolutions at 24-48-80 channels, two dense layers), "
                    "their probabilities averaged, that read the digit in one of the detector's boxes: a window 1.3x "
                    "the box's longer side with the neighbours' strokes in it, plus the box as a mask channel; 10 "
                    "digits or \"not a digit\" (which drops the box). Trained on the detector's own boxes on training "
                    "scenes (two members on its boxes after NMS, two on its unsuppressed candidates, where a thin "
                    "\"1\" is matched at half its height's width), with random affine warps (the ResNet tab)."),
}


# the model-card title and summary in simplified Chinese (the Chinese page shows these; the values stay as measured)
MODELS_ZH = {
    "mlp": ("MNIST 多层感知机", "一个 784-512-256-10 的 ReLU 多层感知机，识别手写数字（DNN 标签页）。"),
    "cnn": ("MNIST 卷积神经网络", "四个带批归一化的 3x3 卷积层和两次最大池化，再接两个全连接层（CNN 标签页）。"),
    "resnet": ("Fashion-MNIST 残差网络 ResNet-20",
               "CIFAR 风格的 ResNet-20（3x3 起始卷积，3 个阶段、每阶段 3 个 BasicBlock，通道数 16/32/64，恒等捷径与 "
               "1x1 投影捷径，全局平均池化），对 Fashion-MNIST 服饰图像分类（ResNet 标签页）。"),
    "plain": ("Fashion-MNIST 20 层普通网络",
              "去掉捷径连接的 ResNet-20（深度、宽度和训练方式都相同），用来展示残差学习带来了什么（ResNet 标签页）。"),
    "lightweight": ("Fashion-MNIST 轻量网络（MobileNet 风格）",
                    "由深度可分离卷积组成的 MobileNet-v1 风格网络（16-32-64-128 通道），训练方式与 ResNet 相同，"
                    "用于比较参数量、乘加运算量、延迟和准确率（ResNet 标签页）。"),
    "lstm": ("MR 句子情感 LSTM",
             "单层 LSTM 逐词读取一句影评（词向量用本站的 Word2Vec 初始化），由最后的隐藏状态判断正面或负面"
             "（LSTM 标签页）。"),
    "rnn": ("MR 句子情感普通 RNN",
            "LSTM 的孪生模型，改用普通 tanh RNN 单元，训练方式相同，用来展示门控带来了什么（LSTM 标签页）。"),
    "word2vec": ("Word2Vec skip-gram 词向量",
                 "用 gensim 在约 460 万词的英文文本上学到的 100 维 skip-gram（负采样）词向量（Word2Vec 标签页）。"),
    "gpt": ("Tiny Shakespeare 字符级 GPT",
            "一个小型仅解码器 Transformer（transformers 的 GPT2LMHeadModel，4 层 × 4 头，192 维，上下文 128 个字符），"
            "使用字符级分词器，在 Tiny Shakespeare 的前 90% 上训练（Transformer 标签页）。"),
    "autoencoder": ("MNIST 上的自编码器、VAE 与 PCA",
                    "自编码器标签页的四个模型一起训练（pca-mnist、ae-mnist、vae-mnist、dae-mnist）；评估时也会把各自的指标写入其模型卡。"),
    "ae-mnist": ("MNIST 二维编码自编码器",
                 "一个 MLP 自编码器（784-512-256-2-256-512-784），把每个数字压缩成两个数，再由它们重建图像（自编码器标签页）。"),
    "vae-mnist": ("MNIST 二维隐空间变分自编码器",
                  "与自编码器层数相同的 VAE：二维隐变量上的高斯编码器 q(z|x)、伯努利解码器 p(x|z)，以负 ELBO 为损失训练"
                  "（自编码器标签页）。"),
    "dae-mnist": ("MNIST 去噪自编码器", "一个 32 维编码的 MLP 自编码器，学习从加噪的副本重建干净的数字（自编码器标签页）。"),
    "pca-mnist": ("MNIST 二主成分 PCA",
                  "取 2 个主成分的主成分分析，即二维编码下最好的线性自编码器：自编码器标签页的基线。"),
    "gan": ("MNIST 与 Fashion-MNIST 的 DCGAN",
            "GAN 标签页的两个类别条件 DCGAN（gan-mnist、gan-fashion）一起训练；评估时也会把各自的指标写入其模型卡。"),
    "gan-mnist": ("MNIST 类别条件 DCGAN",
                  "一个 DCGAN（带批归一化的转置卷积生成器，谱归一化的投影判别器），按指定类别生成手写数字（GAN 标签页）。"),
    "gan-fashion": ("Fashion-MNIST 类别条件 DCGAN", "MNIST DCGAN 的孪生模型，在 Fashion-MNIST 服饰图像上训练（GAN 标签页）。"),
    "diffusion": ("MNIST 与 Fashion-MNIST 的 DDPM",
                  "扩散标签页的两个类别条件 DDPM（ddpm-mnist、ddpm-fashion）一起训练；评估时也会把各自的指标写入其模型卡。"),
    "ddpm-mnist": ("MNIST 类别条件 DDPM",
                   "一个去噪扩散模型（diffusers 的 UNet2DModel + DDPMScheduler，32x32，带类别嵌入），生成手写数字，"
                   "可用 DDPM 或 DDIM 采样（扩散标签页）。"),
    "ddpm-fashion": ("Fashion-MNIST 类别条件 DDPM", "MNIST DDPM 的孪生模型，在 Fashion-MNIST 服饰图像上训练（扩散标签页）。"),
    "gcn": ("Cora 与 CiteSeer 上的 GCN 和 MLP",
            "GNN 标签页的四个节点分类器一起训练（gcn-cora、gcn-citeseer、mlp-cora、mlp-citeseer）。"),
    "gcn-cora": ("Cora 图卷积网络",
                 "两层 GCN（Kipf & Welling），根据论文的词语和引用关系把 Cora 论文分到 7 个主题（GNN 标签页）。"),
    "gcn-citeseer": ("CiteSeer 图卷积网络",
                     "两层 GCN（Kipf & Welling），根据论文的词语和引用关系把 CiteSeer 论文分到 6 个主题（GNN 标签页）。"),
    "mlp-cora": ("Cora MLP 基线（不用图）",
                 "去掉边的 Cora GCN：只看每篇论文自己的词语的两层全连接网络，训练方式相同，用来展示图结构带来了什么"
                 "（GNN 标签页）。"),
    "mlp-citeseer": ("CiteSeer MLP 基线（不用图）",
                     "去掉边的 CiteSeer GCN：只看每篇论文自己的词语的两层全连接网络，训练方式相同，用来展示图结构带来了"
                     "什么（GNN 标签页）。"),
    "dqn": ("CartPole 深度 Q 网络",
            "一个 DQN（经验回放、目标网络、ε-贪心探索、Huber 损失），让 gymnasium 的 CartPole-v1 小车保持杆子竖直"
            "（DQN 标签页）。"),
    "detector": ("手写数字检测器（ResNet 上的 CenterNet）",
                 "单阶段 CenterNet 风格检测器：小型 ResNet 主干（BasicBlock，16-32-64-96 通道，步长 4-16）加 FPN 风格的颈部"
                 "回到步长 4，为每个数字类别输出热力图，并预测框的大小和中心偏移，用 3x3 最大池化取峰值再做 NMS；"
                 "找出并读出画面中的每一个数字（ResNet 标签页）。两阶段读数（和 R-CNN 一样）：每个框再交给框内读取器（weights/crop-reader）"
                 "读一遍，它也可以判定“不是数字”而丢掉这个框；之后才按两阶段分数做 NMS 去重（每个保留的框综合与它重叠的候选框的投票），"
                 "取读取器概率与检测器热力图分数之积最大的数字"
                 "（two_stage_* 指标；map50 / exact_reads 是仅检测器）。"),
    "crop-reader": ("检测框数字读取器（检测器的第二阶段）",
                    "四个小型 CNN（各 3 段、每段两个 3x3 卷积，24-48-80 通道，两个全连接层，概率取平均），读出检测器一个框里的数字："
                    "输入是框较长边 1.3 倍的窗口（含相邻数字的笔画）加上标出该框的掩码通道；输出 10 个数字或“不是数字”"
                    "（此时丢掉这个框）。用检测器在训练场景上给出的框训练（两个成员用 NMS 之后的框，两个用未经抑制的候选框，"
                    "细长的“1”按其高度一半的宽度来匹配），并做随机仿射变形（ResNet 标签页）。"),
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


def describe(name: str, lang: str = "en") -> tuple[str, str]:
    """(model-card title, summary) in "en" or "zh-CN"."""
    return MODELS_ZH[name] if lang == "zh-CN" else (MODELS[name][3], MODELS[name][4])
