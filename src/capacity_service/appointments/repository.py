import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    all_,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment, Lead


@dataclass(frozen=True, slots=True)
class AppointmentValues:
    """One provider state of an appointment, as the upsert writes it."""

    workspace_id: uuid.UUID
    lead_id: uuid.UUID
    provider: Provider
    external_id: str
    status: AppointmentStatus | None
    start_at: datetime
    end_at: datetime | None
    booked_at: datetime | None
    provider_updated_at: datetime | None
    ghl_calendar_id: str | None = None
    calendly_event_type_uri: str | None = None
    calendly_scheduled_event_uri: str | None = None


@dataclass(frozen=True, slots=True)
class GhlListing:
    """What one successful HighLevel read covered, and the appointment ids it returned.

    Either one lead's contact (`lead_id`: the contact's whole list, no range) or the listed
    `calendar_ids` of the location over [`start_from`, `start_to`).
    """

    listed_ids: frozenset[str]
    lead_id: uuid.UUID | None = None
    calendar_ids: frozenset[str] = frozenset()
    start_from: datetime | None = None
    start_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class AppointmentFilter:
    status: AppointmentStatus | None = None
    provider: Provider | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    attributed: bool | None = None
    lead_id: uuid.UUID | None = None


_TEXTS = ARRAY(String)


def _rank(status: Any) -> ColumnElement[int]:
    """Precedence of states carrying the same version: an end state beats a live one, so a
    delete that does not bump the provider's timestamp still wins, in either arrival order."""
    return case(
        (status == AppointmentStatus.CONFIRMED, 0),
        (status.in_([AppointmentStatus.SHOWED, AppointmentStatus.NO_SHOW]), 1),
        else_=2,
    )


def attributed_clause() -> ColumnElement[bool]:
    return or_(
        and_(Appointment.provider == Provider.GHL, Appointment.ghl_calendar_id.is_not(None)),
        and_(
            Appointment.provider == Provider.CALENDLY,
            Appointment.calendly_event_type_uri.is_not(None),
        ),
    )


@cache
def _upsert_statement(provider: Provider, status_known: bool, end_known: bool) -> Any:
    """The upsert for one shape of input, built once: its values are bind parameters, so every
    call reuses SQLAlchemy's compiled form and asyncpg's prepared statement instead of
    rebuilding the CASE trees and their cache key (see `AppointmentRepository.upsert`)."""
    returning: ReturningInsert[Appointment, bool] = _upsert(
        insert(Appointment), provider, status_known, end_known
    ).returning(Appointment, literal_column("(xmax = 0)").label("inserted"))
    return returning.execution_options(populate_existing=True)


@cache
def _upsert_with_rollup_statement(provider: Provider, status_known: bool, end_known: bool) -> Any:
    """The upsert and the rollup of the lead it was called for, as one Core statement.

    The rollup's scan runs on the statement's snapshot, which does not show the upserted row's
    new version, so its candidates are the lead's other stored rows plus that row as RETURNING
    gives it. The lead must already be row-locked by the transaction, so the snapshot, taken
    after the lock, holds every committed appointment of the lead.
    """
    table = cast(Table, Appointment.__table__)
    lead = cast(Table, Lead.__table__)
    lead_id = bindparam("p_lead_id", type_=lead.c.id.type)  # the upsert's own lead_id
    up = (
        _upsert(insert(table), provider, status_known, end_known)
        .returning(*table.c, literal_column("(xmax = 0)").label("inserted"))
        .cte("up")
    )
    fields = ("lead_id", "id", "status", "start_at", "booked_at", "provider", "created_at")
    candidates = union_all(
        select(*(table.c[f] for f in fields)).where(
            table.c.lead_id == lead_id, table.c.id.not_in(select(up.c.id))
        ),
        select(*(up.c[f] for f in fields)).where(up.c.lead_id == lead_id),
    ).subquery("candidates")
    latest = (
        select(candidates)
        .order_by(
            func.coalesce(candidates.c.booked_at, candidates.c.created_at).desc(),
            candidates.c.start_at.desc(),
            candidates.c.id.desc(),
        )
        .limit(1)
        .subquery("latest")
    )
    rollup = (
        update(lead)
        .where(lead.c.id == lead_id, lead.c.id == latest.c.lead_id)
        .values(
            latest_appointment_id=latest.c.id,
            latest_appointment_status=latest.c.status,
            latest_appointment_start_at=latest.c.start_at,
            latest_appointment_booked_at=latest.c.booked_at,
            latest_appointment_provider=latest.c.provider,
            updated_at=func.now(),
        )
        .returning(lead.c.id)
        .cte("rollup")
    )
    row = aliased(Appointment, up)
    return select(row, up.c.inserted).add_cte(rollup).execution_options(populate_existing=True)


def _upsert(stmt: Any, provider: Provider, status_known: bool, end_known: bool) -> Any:
    identity = "ghl_appointment_id" if provider is Provider.GHL else "calendly_invitee_uri"
    stmt = stmt.values(
        {
            # Named apart from every column: Core adds a parameter named like a column to the
            # SET of an UPDATE in the same statement (the rollup) and to the INSERT.
            name: bindparam(f"p_{name}", type_=Appointment.__table__.c[name].type)
            for name in (
                "id",
                "workspace_id",
                "lead_id",
                "provider",
                "status",
                "start_at",
                "end_at",
                "booked_at",
                "provider_updated_at",
                "ghl_calendar_id",
                "calendly_event_type_uri",
                "calendly_scheduled_event_uri",
                identity,
            )
        }
    )
    new = stmt.excluded
    stored = Appointment
    new_status: Any = new.status if status_known else stored.status
    older = and_(
        new.provider_updated_at.is_not(None),
        stored.provider_updated_at.is_not(None),
        new.provider_updated_at < stored.provider_updated_at,
    )
    newer = and_(
        new.provider_updated_at.is_not(None),
        or_(
            stored.provider_updated_at.is_(None),
            new.provider_updated_at > stored.provider_updated_at,
        ),
    )
    apply = or_(newer, and_(not_(older), _rank(new_status) >= _rank(stored.status)))

    def state(incoming: Any, current: Any) -> Any:
        return case((apply, incoming), else_=current)

    def attribution(incoming: Any, current: Any) -> Any:
        return case(
            (apply, func.coalesce(incoming, current)), else_=func.coalesce(current, incoming)
        )

    upsert = stmt.on_conflict_do_update(
        index_elements=[getattr(stored, identity)],
        set_={
            "status": state(new_status, stored.status),
            "start_at": state(new.start_at, stored.start_at),
            "end_at": state(new.end_at, stored.end_at) if end_known else stored.end_at,
            "booked_at": func.coalesce(stored.booked_at, new.booked_at),
            "provider_updated_at": func.greatest(
                stored.provider_updated_at, new.provider_updated_at
            ),
            "ghl_calendar_id": attribution(new.ghl_calendar_id, stored.ghl_calendar_id),
            "calendly_event_type_uri": attribution(
                new.calendly_event_type_uri, stored.calendly_event_type_uri
            ),
            "calendly_scheduled_event_uri": func.coalesce(
                new.calendly_scheduled_event_uri, stored.calendly_scheduled_event_uri
            ),
            "updated_at": func.now(),
        },
    )
    return upsert


def _refresh_lead_rollup() -> Any:
    lead_id = bindparam("lead_id", type_=Lead.__table__.c.id.type)
    latest = (
        select(
            Appointment.lead_id,
            Appointment.id,
            Appointment.status,
            Appointment.start_at,
            Appointment.booked_at,
            Appointment.provider,
        )
        .where(Appointment.lead_id == lead_id)
        .order_by(
            func.coalesce(Appointment.booked_at, Appointment.created_at).desc(),
            Appointment.start_at.desc(),
            Appointment.id.desc(),
        )
        .limit(1)
        .subquery()
    )
    return (
        update(Lead)
        .where(Lead.id == lead_id, Lead.id == latest.c.lead_id)
        .values(
            latest_appointment_id=latest.c.id,
            latest_appointment_status=latest.c.status,
            latest_appointment_start_at=latest.c.start_at,
            latest_appointment_booked_at=latest.c.booked_at,
            latest_appointment_provider=latest.c.provider,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


# Built once (bind parameters only): they run with every appointment write.
_LOCK_LEAD = (
    select(Lead.id)
    .where(Lead.id == bindparam("lead_id", type_=Lead.__table__.c.id.type))
    .with_for_update()
)
_REFRESH_LEAD_ROLLUP = _refresh_lead_rollup()


def _upsert_params(values: AppointmentValues) -> dict[str, Any]:
    identity = "ghl_appointment_id" if values.provider is Provider.GHL else "calendly_invitee_uri"
    params = {
        "p_id": uuid.uuid4(),
        "p_workspace_id": values.workspace_id,
        "p_lead_id": values.lead_id,
        "p_provider": values.provider,
        "p_status": values.status or AppointmentStatus.CONFIRMED,
        "p_start_at": values.start_at,
        "p_end_at": values.end_at or values.start_at,
        "p_booked_at": values.booked_at,
        "p_provider_updated_at": values.provider_updated_at,
        "p_ghl_calendar_id": values.ghl_calendar_id,
        "p_calendly_event_type_uri": values.calendly_event_type_uri,
        "p_calendly_scheduled_event_uri": values.calendly_scheduled_event_uri,
        f"p_{identity}": values.external_id,
    }
    return params


class AppointmentRepository(Repository):
    async def upsert(self, values: AppointmentValues) -> tuple[Appointment, bool]:
        """INSERT ... ON CONFLICT on the provider identity, in one statement; True if inserted.

        On conflict the state (status, times) is replaced only when the incoming version is not
        older than the stored one (ties go to the state of higher precedence); the version kept
        is the newest seen; attribution is only ever filled or replaced by a newer non-null
        value, never cleared; `booked_at` keeps the first known value. An unknown status
        (None) keeps the stored one; an unknown end keeps the stored end.
        """
        stmt = _upsert_statement(
            values.provider, values.status is not None, values.end_at is not None
        )
        params = _upsert_params(values)
        row = (await self.session.execute(stmt, params)).one()
        return row[0], bool(row[1])

    async def upsert_with_rollup(self, values: AppointmentValues) -> tuple[Appointment, bool]:
        """`upsert`, and `refresh_lead_rollup` of `values.lead_id`, in one statement.

        The caller must hold that lead's row lock (`lock_lead`, or the lead's find-or-create).
        A row keeps the lead it was first written for: when it belongs to another lead, that
        lead's rollup is the caller's to refresh.
        """
        stmt = _upsert_with_rollup_statement(
            values.provider, values.status is not None, values.end_at is not None
        )
        row = (await self.session.execute(stmt, _upsert_params(values))).one()
        return row[0], bool(row[1])

    async def lock_lead(self, lead_id: uuid.UUID) -> None:
        """Serialise writers of one lead's appointments so the rollup recomputed afterwards
        sees every committed appointment of that lead (READ COMMITTED takes a new snapshot
        per statement, and the lock is held to the end of the transaction)."""
        await self.session.execute(_LOCK_LEAD, {"lead_id": lead_id})

    async def refresh_lead_rollup(self, lead_id: uuid.UUID) -> None:
        """Recompute the lead's rollup from its rows in one statement: the latest booked
        appointment (booking time, then start, then id), so any order of writes converges."""
        await self.session.execute(_REFRESH_LEAD_ROLLUP, {"lead_id": lead_id})

    async def get(self, workspace_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
        result = await self.session.execute(
            select(Appointment).where(
                Appointment.id == appointment_id, Appointment.workspace_id == workspace_id
            )
        )
        return result.scalar_one_or_none()

    async def get_calendly_invitee(
        self, workspace_id: uuid.UUID, invitee_uri: str
    ) -> Appointment | None:
        return await self.session.scalar(
            select(Appointment).where(
                Appointment.workspace_id == workspace_id,
                Appointment.calendly_invitee_uri == invitee_uri,
            )
        )

    async def confirmed_ghl_not_listed(
        self, workspace_id: uuid.UUID, listing: GhlListing
    ) -> Sequence[Appointment]:
        """CONFIRMED HighLevel rows inside the listing's scope that the listing did not return.

        A calendar listing only covers rows attributed to one of its calendars and starting
        in its range; rows without attribution are outside every calendar listing.
        """
        where: list[ColumnElement[bool]] = [
            Appointment.workspace_id == workspace_id,
            Appointment.provider == Provider.GHL,
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.ghl_appointment_id.is_not(None),
            Appointment.ghl_appointment_id != all_(literal(sorted(listing.listed_ids), _TEXTS)),
        ]
        if listing.lead_id is not None:
            where.append(Appointment.lead_id == listing.lead_id)
        elif listing.calendar_ids and listing.start_from and listing.start_to:
            where += [
                Appointment.ghl_calendar_id == any_(literal(sorted(listing.calendar_ids), _TEXTS)),
                Appointment.start_at >= listing.start_from,
                Appointment.start_at < listing.start_to,
            ]
        else:
            return []
        rows = await self.session.scalars(
            select(Appointment).where(*where).order_by(Appointment.start_at, Appointment.id)
        )
        return rows.all()

    async def list_for_lead(self, lead_id: uuid.UUID, provider: Provider) -> Sequence[Appointment]:
        rows = await self.session.scalars(
            select(Appointment).where(
                Appointment.lead_id == lead_id, Appointment.provider == provider
            )
        )
        return rows.all()

    async def list(
        self, workspace_id: uuid.UUID, filters: AppointmentFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[Appointment], int]:
        where: list[ColumnElement[bool]] = [Appointment.workspace_id == workspace_id]
        if filters.status is not None:
            where.append(Appointment.status == filters.status)
        if filters.provider is not None:
            where.append(Appointment.provider == filters.provider)
        if filters.start_from is not None:
            where.append(Appointment.start_at >= filters.start_from)
        if filters.start_to is not None:
            where.append(Appointment.start_at < filters.start_to)
        if filters.lead_id is not None:
            where.append(Appointment.lead_id == filters.lead_id)
        if filters.attributed is not None:
            where.append(attributed_clause() if filters.attributed else not_(attributed_clause()))
        total = await self.session.scalar(
            select(func.count()).select_from(Appointment).where(*where)
        )
        rows = await self.session.scalars(
            select(Appointment)
            .where(*where)
            .order_by(Appointment.start_at, Appointment.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)
