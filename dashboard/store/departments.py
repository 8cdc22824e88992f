"""The `department` table: the district's functional departments, seeded from
dashboard.domain.departments like the unit tree (missing codes added, edits kept)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from dashboard.domain.departments import DepartmentSpec, default_departments


class Department(SQLModel, table=True):
    __tablename__ = "department"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    position: int = 0  # display order


def seed_departments(engine: Engine, departments: Iterable[DepartmentSpec]) -> int:
    """Insert the departments that are missing; returns how many were added."""
    with Session(engine) as session:
        existing = set(session.exec(select(Department.code)).all())
        added = 0
        for position, d in enumerate(departments):
            if d.code not in existing:
                session.add(Department(code=d.code, name=d.name, name_en=d.name_en, position=position))
                added += 1
        session.commit()
    return added


def load_departments(engine: Engine) -> dict[str, DepartmentSpec]:
    """code -> department, in display order; the defaults while the table is empty
    (a database created before departments existed, until its next init-db)."""
    with Session(engine) as session:
        rows = session.exec(select(Department).order_by(Department.position, Department.code)).all()
    found = {r.code: DepartmentSpec(r.code, r.name, r.name_en) for r in rows}
    return found or {d.code: d for d in default_departments()}
