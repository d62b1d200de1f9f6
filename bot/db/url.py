"""Where the data lives: a SQLite file (a path or `sqlite:///path`) or a PostgreSQL database
(`postgresql://user:password@host:port/name`). Parsed by SQLAlchemy's URL type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.db.errors import DatabaseError


@dataclass(frozen=True)
class DatabaseURL:
    path: Path | None  # the SQLite file; None for PostgreSQL
    driver_url: str = ""  # what SQLAlchemy connects to (asyncpg for PostgreSQL)
    safe: str = ""  # for logs: the password hidden

    @classmethod
    def parse(cls, target: str | Path) -> DatabaseURL:
        if isinstance(target, Path) or "://" not in target:
            path = Path(target)
            return cls(path=path, driver_url=f"sqlite+aiosqlite:///{path}", safe=str(path))
        try:
            url: URL = make_url(target)
        except ArgumentError as exc:
            raise DatabaseError(f"DATABASE_URL is not a database URL: {exc}") from exc
        backend = url.get_backend_name()
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise DatabaseError("DATABASE_URL must name a SQLite file, like sqlite:///bot.db")
            return cls.parse(Path(url.database))
        if backend in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+asyncpg")
            return cls(
                path=None,
                driver_url=url.render_as_string(hide_password=False),
                safe=url.render_as_string(hide_password=True),
            )
        raise DatabaseError(
            f"DATABASE_URL must start with sqlite:/// or postgresql://, not {backend}://"
        )
