"""The start-up shortcut's idea of the newest migration matches Alembic's."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from bot.store.db import alembic_config, head_revision


def test_head_revision_matches_alembic() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
