"""Repository base: all SQL lives in repositories, which share the caller's session."""

from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
