"""Database tables of the web workspace (SQLAlchemy 2); the schema itself is made by Alembic."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("viewer", "editor", "owner")
"""Workspace roles from least to most privileged."""


def utcnow() -> datetime:
    """Current time in UTC (timezone-aware), the only clock the database sees."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base for all web tables."""


class User(Base):
    """A person who logs in; `is_admin` may create workspaces and see them all."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)


class LoginSession(Base):
    """A server-side login session; the cookie carries only its signed random id."""

    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LoginAttempt(Base):
    """A login attempt (recorded before its password is checked), to throttle guessing.

    `outcome`: pending (being checked), failed, or throttled (refused without a check).
    """

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    client: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False, default="failed")
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )


class Workspace(Base):
    """One country programme (or a sub-national one) worked on by a group."""

    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    country: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phase: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    programme_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    store_path: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    org_units_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0,
                                                   server_default="0")
    """A new random stamp at every org-unit import (services.load_org_units): keys what is
    cached from the org units (the district list, panels naming or filtering by units)."""


class Membership(Base):
    """A user's role in a workspace, optionally limited to an org unit's subtree (DHIS2 style).

    The scope is the unit's id: its subtree is read from the workspace's current org units, so
    it follows the unit when a re-import moves it (see mmsis.web.scope).
    """

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    org_unit_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)


class OrgUnit(Base):
    """An org unit of the workspace's hierarchy (country, region, district, facility)."""

    __tablename__ = "org_units"
    __table_args__ = (Index("ix_org_units_workspace_level", "workspace_id", "level"),)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    population: Mapped[float | None] = mapped_column(Float, nullable=True)


class KeyResultStatusRow(Base):
    """The group's assessment of one key result of the framework in this workspace."""

    __tablename__ = "key_result_status"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key_result_id: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("workspace_id", "key_result_id"),)


class EvidenceRow(Base):
    """A file attached as evidence to a key result."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key_result_id: Mapped[str] = mapped_column(String(100), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgendaItemRow(Base):
    """A research question or implementation strategy on the workspace's IR agenda."""

    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # question | strategy
    ref_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    decision: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StrategySpecRow(Base):
    """The specification of an agenda strategy (Proctor et al. 2013: seven dimensions)."""

    __tablename__ = "strategy_specs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    actor: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    target: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    temporality: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    dose: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    outcome: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    justification: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Upload(Base):
    """One data upload (accepted or refused) and its refused-rows report."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False
    )  # importing | imported | refused | failed (its values live in the programme store)
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refused_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who changed what, when: key results, agenda, uploads and memberships."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(50), nullable=False)
    entity: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(100), nullable=False)
    detail_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnalysisResult(Base):
    """A cached analysis of a workspace's data (cascade, quality review), recomputed on demand."""

    __tablename__ = "analysis_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    result_json: Mapped[str] = mapped_column(Text, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("workspace_id", "kind"),)


class ChnriScore(Base):
    """One member's CHNRI score of one agenda question on one criterion (None = don't know)."""

    __tablename__ = "chnri_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(100), nullable=False)
    criterion: Mapped[str] = mapped_column(String(50), nullable=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "question", "criterion"),)


class DecisionRecord(Base):
    """A decision or adaptation (mmsis.plan.decisions.Adaptation as JSON), dated."""

    __tablename__ = "decision_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date, nullable=False)
    body_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_decision_records_workspace_date", "workspace_id", "date"),)


class ActionRecord(Base):
    """An action on a key result (mmsis.plan.decisions.Action as JSON) with its due date."""

    __tablename__ = "action_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    body_json: Mapped[str] = mapped_column(Text, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_action_records_workspace_due", "workspace_id", "due"),)
