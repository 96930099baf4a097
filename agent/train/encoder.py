"""A BERT encoder (the shape of all-MiniLM-L6-v2) with three heads: intent, direction, and a
BIO slot tag per token. Plain torch; parameter names match the base model's safetensors."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import Tensor, nn


class Embeddings(nn.Module):
    def __init__(self, vocab: int, hidden: int, positions: int) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(positions, hidden)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, ids: Tensor) -> Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)
        x = x + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)  # type: ignore[no-any-return]


class SelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        b, t, h = x.shape
        d = h // self.heads

        def split(y: Tensor) -> Tensor:
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        out = torch.softmax(scores, dim=-1) @ v
        return out.transpose(1, 2).reshape(b, t, h)


class Dense(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        self.LayerNorm = nn.LayerNorm(n_out, eps=1e-12)


class Attention(nn.Module):
    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.self = SelfAttention(hidden, heads)
        self.output = Dense(hidden, hidden)


class Intermediate(nn.Module):
    def __init__(self, hidden: int, inner: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden, inner)


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inner: int, dropout: float) -> None:
        super().__init__()
        self.attention = Attention(hidden, heads)
        self.intermediate = Intermediate(hidden, inner)
        self.output = Dense(inner, hidden)
        self.drop = nn.Dropout(dropout)
        self.act = nn.GELU()

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        a = self.attention.self(x, bias)
        x = self.attention.output.LayerNorm(x + self.drop(self.attention.output.dense(a)))
        inner = self.act(self.intermediate.dense(x))
        return self.output.LayerNorm(x + self.drop(self.output.dense(inner)))  # type: ignore[no-any-return]


class Encoder(nn.Module):
    def __init__(self, layers: int, hidden: int, heads: int, inner: int, dropout: float) -> None:
        super().__init__()
        self.layer = nn.ModuleList([Layer(hidden, heads, inner, dropout) for _ in range(layers)])


class JointModel(nn.Module):
    """input_ids, attention_mask -> intent logits, direction logits, tag logits."""

    def __init__(
        self,
        n_intents: int,
        n_directions: int,
        n_tags: int,
        *,
        vocab: int = 30522,
        hidden: int = 384,
        layers: int = 6,
        heads: int = 12,
        inner: int = 1536,
        positions: int = 512,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.embeddings = Embeddings(vocab, hidden, positions)
        self.encoder = Encoder(layers, hidden, heads, inner, dropout)
        self.drop = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden, n_intents)
        self.direction_head = nn.Linear(hidden, n_directions)
        self.tag_head = nn.Linear(hidden, n_tags)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mask = attention_mask.to(torch.float32)
        bias = (1.0 - mask)[:, None, None, :] * -10000.0
        x = self.drop(self.embeddings(input_ids))
        for layer in self.encoder.layer:
            x = layer(x, bias)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        pooled = self.drop(pooled)
        return self.intent_head(pooled), self.direction_head(pooled), self.tag_head(self.drop(x))

    def load_base(self, safetensors_path: Path) -> None:
        state = load_file(str(safetensors_path))
        state = {
            k: v
            for k, v in state.items()
            if k.startswith(("embeddings.", "encoder.")) and k != "embeddings.position_ids"
        }
        missing, unexpected = self.load_state_dict(state, strict=False)
        heads = {"intent_head", "direction_head", "tag_head"}
        assert not unexpected, unexpected
        assert all(k.split(".")[0] in heads for k in missing), missing
