"""aiogram's FSM storage in the desk's database, so a half-told request survives a restart.

aiogram ships memory, Redis and Mongo storages; the desk already has a database (SQLite by
default, PostgreSQL when shared), so conversations live there too, one row per chat and
user. Each call is its own short transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from handlers.db import Database
from handlers.models import BotStateRow, utcnow


def _state_name(state: StateType) -> str | None:
    if state is None:
        return None
    return state.state if isinstance(state, State) else str(state)


class SqlStorage(BaseStorage):
    """FSM state and data in the ``bot_states`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys = DefaultKeyBuilder(with_destiny=True, with_business_connection_id=True)

    async def _write(self, key: StorageKey, **values: Any) -> None:
        row_key = self._keys.build(key)
        for _attempt in range(2):
            try:
                async with self._db.transaction() as session:
                    changed = await session.execute(
                        update(BotStateRow)
                        .where(BotStateRow.key == row_key)
                        .values(**values, updated_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                    if changed.rowcount == 0:  # type: ignore[attr-defined]
                        session.add(
                            BotStateRow(
                                key=row_key,
                                state=values.get("state"),
                                data=values.get("data", {}),
                                updated_at=utcnow(),
                            )
                        )
                return
            except IntegrityError:  # another process inserted the row first: update it
                continue
        raise RuntimeError("could not store the conversation state")

    async def _read(self, key: StorageKey) -> BotStateRow | None:
        async with self._db.reads() as session:
            return await session.scalar(
                select(BotStateRow).where(BotStateRow.key == self._keys.build(key))
            )

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return dict(row.data) if row is not None and row.data else {}

    async def close(self) -> None:
        """The database belongs to the desk, which closes it."""
