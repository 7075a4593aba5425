"""Development helper: regenerate a migration by autogenerate against a scratch DB.

``python -m bot.store.regen "message" REV`` upgrades a scratch SQLite file to
head and writes a new revision with the model changes.  Not used at run time.
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command

from bot.store.db import alembic_config


def main() -> None:
    message, rev = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config()
        cfg.cmd_opts = type("Opts", (), {"x": [f"url=sqlite:///{tmp}/scratch.db"]})()  # type: ignore[assignment]
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev)


if __name__ == "__main__":
    main()
