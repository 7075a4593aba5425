"""``python -m bot`` is the same as ``mentorbot`` (the console script calls :func:`main`)."""

import gc
import sys


def main() -> int:
    """Run the command line with the cyclic garbage collector paused while the
    start imports and builds (about a thousand modules whose objects are all
    kept: each of the hundreds of collections would only scan them again, a
    fifth of the start's CPU).  :func:`bot.cli.resume_collecting` turns it back
    on once the bot is ready, or before any other command runs."""
    gc.disable()
    from bot.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
