"""`python -m capmodel` and the `capmodel` command (pyproject's entry point)."""
from . import interrupts


def run() -> None:
    # first, before the imports: a Ctrl-C while capmodel starts is held until
    # the command can give its partial report (capmodel/interrupts.py)
    interrupts.hold()
    from .cli import main

    main()


if __name__ == "__main__":
    run()
