"""`python -m bot` is `mjbot run`."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["run"]))
