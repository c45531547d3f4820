"""python -m models train NAME | evaluate NAME [--data-dir DIR]

`evaluate` prints one JSON object of metrics as its last line; `--update` also
rewrites weights/NAME/metrics.json and the model card with the new numbers.
"""
from __future__ import annotations

import argparse
import json

from . import registry


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["train", "evaluate", "list"])
    parser.add_argument("name", nargs="?", help=f"one of: {', '.join(registry.MODELS)}")
    parser.add_argument("--data-dir", default=None, help="default: $DLHUB_DATA_DIR, else ../shared/data")
    parser.add_argument("--epochs", type=int, default=None, help="train: override the default epoch count")
    parser.add_argument("--seed", type=int, default=0, help="train: random seed")
    parser.add_argument("--update", action="store_true", help="evaluate: write the metrics into weights/NAME")
    args = parser.parse_args(argv)

    if args.command == "list":
        for name in registry.MODELS:
            print(name, "-", registry.describe(name)[0])
        return
    if not args.name:
        parser.error("a model NAME is required")
    if args.command == "train":
        metrics = registry.train(args.name, data_dir=args.data_dir, epochs=args.epochs, seed=args.seed)
        metrics = {k: v for k, v in metrics.items() if k != "history"}
    else:
        metrics = registry.evaluate(args.name, data_dir=args.data_dir)
        if args.update:
            from .cards import update_metrics
            update_metrics(args.name, metrics)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
