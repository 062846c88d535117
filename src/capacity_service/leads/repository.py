import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from capacity_service.kit.repository import Repository
from capacity_service.models import Lead


class LeadRepository(Repository):
    async def upsert_by_email(
        self, workspace_id: uuid.UUID, email: str, values: dict[str, Any]
    ) -> tuple[Lead, bool]:
        """Insert or update by (workspace, email) in one statement; True when inserted.

        Only the given values are written on update, so a partial upsert keeps other fields.
        """
        insert_stmt = insert(Lead).values(
            id=uuid.uuid4(), workspace_id=workspace_id, email=email, **values
        )
        upsert = insert_stmt.on_conflict_do_update(
            index_elements=[Lead.workspace_id, Lead.email],
            set_={**{k: insert_stmt.excluded[k] for k in values}, "updated_at": func.now()},
        )
        returning: ReturningInsert[Lead, bool] = upsert.returning(
            Lead, literal_column("(xmax = 0)").label("inserted")
        )
        result = await self.session.execute(returning.execution_options(populate_existing=True))
        row = result.one()
        return row[0], bool(row[1])

    async def get(self, workspace_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
        result = await self.session.execute(
            select(Lead).where(Lead.id == lead_id, Lead.workspace_id == workspace_id)
        )
        return result.scalar_one_or_none()

    async def list(
        self,
        workspace_id: uuid.UUID,
        *,
        campaign_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Lead], int]:
        where = [Lead.workspace_id == workspace_id]
        if campaign_id is not None:
            where.append(Lead.campaign_id == campaign_id)
        total = await self.session.scalar(select(func.count()).select_from(Lead).where(*where))
        rows = await self.session.scalars(
            select(Lead)
            .where(*where)
            .order_by(Lead.created_at, Lead.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)

    async def ensure_by_email(
        self,
        workspace_id: uuid.UUID,
        email: str,
        *,
        name: str | None = None,
        phone: str | None = None,
    ) -> Lead:
        """The lead with this email, created if missing; fills blanks, never overwrites.

        Used by provider events: a booking must not rename a lead an operator has edited.
        Takes the lead's row lock (held to the end of the transaction).
        """
        params = {
            "id": uuid.uuid4(),
            "workspace_id": workspace_id,
            "email": email,
            "name": name,
            "phone": phone,
        }
        lead: Lead = (await self.session.execute(_ENSURE_BY_EMAIL, params)).scalar_one()
        return lead

    async def ensure_by_ghl_contact(self, workspace_id: uuid.UUID, contact_id: str) -> Lead:
        """The lead of this HighLevel contact, created (without email) if missing; row-locked."""
        params = {"id": uuid.uuid4(), "workspace_id": workspace_id, "ghl_contact_id": contact_id}
        lead: Lead = (await self.session.execute(_ENSURE_BY_GHL_CONTACT, params)).scalar_one()
        return lead


def _bound(*names: str) -> dict[str, Any]:
    return {name: bindparam(name, type_=Lead.__table__.c[name].type) for name in names}


def _ensure_by_email() -> Any:
    stmt = insert(Lead).values(_bound("id", "workspace_id", "email", "name", "phone"))
    upsert = stmt.on_conflict_do_update(
        index_elements=[Lead.workspace_id, Lead.email],
        set_={
            "name": func.coalesce(Lead.name, stmt.excluded.name),
            "phone": func.coalesce(Lead.phone, stmt.excluded.phone),
        },
    )
    return upsert.returning(Lead).execution_options(populate_existing=True)


def _ensure_by_ghl_contact() -> Any:
    stmt = insert(Lead).values(_bound("id", "workspace_id", "ghl_contact_id"))
    upsert = stmt.on_conflict_do_update(
        index_elements=[Lead.workspace_id, Lead.ghl_contact_id],
        set_={"ghl_contact_id": stmt.excluded.ghl_contact_id},
    )
    return upsert.returning(Lead).execution_options(populate_existing=True)


# Built once, with bind parameters: every provider event finds or creates its lead, and
# rebuilding the statement (and its cache key) each time cost more than running it.
_ENSURE_BY_EMAIL = _ensure_by_email()
_ENSURE_BY_GHL_CONTACT = _ensure_by_ghl_contact()
