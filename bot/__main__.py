"""``python -m bot`` is the same as ``mentorbot`` (the console script calls :func:`main`)."""

import gc
import os
import sys


def main() -> int:
    """Run the command line with the cyclic garbage collector paused while the
    start imports and builds (about a thousand modules whose objects are all
    kept: each of the hundreds of collections would only scan them again, a
    fifth of the start's CPU).  :func:`bot.cli.resume_collecting` turns it back
    on once the bot is ready, or before any other command runs."""
    gc.disable()
    # pydantic looks for plugins (the ``pydantic`` entry-point group) by
    # reading the metadata of every installed distribution the first time a
    # model is built: about a hundredth of a second of every start, and
    # Mentorbot uses no plugin.  pydantic's documented switch turns the scan
    # off; set only when the person has not set it (an empty value keeps
    # plugins on, see docs/deploy.md).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from bot.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
