#!/usr/bin/env python3
"""A small PyTorch MLP on the digits data, tracked only through what it prints.

Nothing here imports Trackside: `trackside run` reads the `epoch N loss=… val_acc=…` lines.

    trackside run -- python demo/train_mlp.py --lr 0.01 --epochs 15
"""
import argparse
import csv
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "digits.csv")
MODELS = os.path.join(HERE, "models")


def load_digits_csv(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    values = torch.tensor([[float(v) for v in row] for row in rows[1:]])
    return values[:, :-1] / 16.0, values[:, -1].long()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    features, labels = load_digits_csv(DATA)
    order = torch.randperm(len(labels))
    split = int(len(labels) * 0.8)
    train_idx, val_idx = order[:split], order[split:]
    x_train, y_train = features[train_idx], labels[train_idx]
    x_val, y_val = features[val_idx], labels[val_idx]
    print("Loaded %d training and %d validation images from %s" % (len(y_train), len(y_val), os.path.relpath(DATA)))

    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for start in range(0, len(y_train), args.batch_size):
            batch = slice(start, start + args.batch_size)
            optimiser.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(y_train[batch])
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_loss = loss_fn(logits, y_val).item()
            val_acc = (logits.argmax(dim=1) == y_val).float().mean().item()
        print("epoch %d loss=%.4f val_loss=%.4f val_acc=%.4f" % (epoch, total / len(y_train), val_loss, val_acc))

    os.makedirs(MODELS, exist_ok=True)
    path = os.path.join(MODELS, "mlp.pt")
    torch.jit.script(model).save(path)
    print("Saved TorchScript model to %s" % os.path.relpath(path))


if __name__ == "__main__":
    main()
