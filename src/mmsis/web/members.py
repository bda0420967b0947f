"""Workspace memberships: who grants which role where, and who may not be changed.

Rules (one place, used by the API, the pages and `mmsis users`):
- an owner grants, changes and removes memberships only inside its own org-unit subtree
  (a scoped owner cannot grant a national scope nor touch a member scoped outside its subtree);
- nobody changes their own membership through the workspace (ask another owner);
- site administrators own every workspace already: owners never write memberships for them;
- the last owner with a national scope is never removed, demoted or narrowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import scope as scopes
from mmsis.web.db import begin_write
from mmsis.web.deps import Access, Forbidden, NotFound
from mmsis.web.models import ROLES, Membership, OrgUnit, User, Workspace


@dataclass(frozen=True)
class Member:
    """A membership as pages and the API show it (org_unit_path is the unit's current path)."""

    user_id: int
    email: str
    name: str
    role: str
    org_unit: str | None
    org_unit_path: str | None
    is_active: bool


def _unit_path(db: Session, workspace_id: int, unit: str | None) -> str | None:
    """The current path of an org unit (None for no unit or a unit no longer there)."""
    if not unit:
        return None
    ou = db.get(OrgUnit, (workspace_id, unit))
    return ou.path if ou is not None else None


def _membership(db: Session, workspace_id: int, user_id: int) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace_id, Membership.user_id == user_id
        )
    )


def _check_actor(db: Session, access: Access, user: User, current: Membership | None) -> None:
    """Refuse changes an owner may not make (own membership, admins, outside its subtree)."""
    if user.id == access.user.id:
        raise Forbidden("you cannot change your own membership; ask another owner")
    if access.scope_path and current is not None:
        path = _unit_path(db, current.workspace_id, current.org_unit_id)
        if not current.org_unit_id or not scopes.contains(access.scope_path, path):
            raise Forbidden("this member's scope is outside your part of the hierarchy")


def _national_owners(db: Session, workspace_id: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.workspace_id == workspace_id,
                Membership.role == "owner",
                Membership.org_unit_id.is_(None),
                User.is_active.is_(True),
            )
        )
        or 0
    )


def _keep_a_national_owner(db: Session, current: Membership | None, staying: bool) -> None:
    """Refuse to remove, demote or narrow the workspace's last national owner."""
    if current is None or current.role != "owner" or current.org_unit_id is not None:
        return
    if staying:
        return
    if _national_owners(db, current.workspace_id) <= 1:
        raise InputError(
            "this is the workspace's last owner for the whole country: make another "
            "national owner first",
            field="role",
        )


def set_member(
    db: Session,
    access: Access | None,
    workspace: Workspace,
    user: User,
    role: str,
    org_unit_id: str | None = None,
) -> Membership:
    """Give a user a role, optionally limited to an org unit's subtree (access None: CLI)."""
    begin_write(db)
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}", field="role")
    if user.is_admin and access is not None:
        raise InputError(
            f"'{user.email}' is a site administrator and owns every workspace already",
            field="email",
        )
    path = None
    if org_unit_id:
        path = _unit_path(db, workspace.id, org_unit_id)
        if path is None:
            raise InputError(
                f"'{org_unit_id}' is not an org unit of this workspace", field="org_unit"
            )
    current = _membership(db, workspace.id, user.id)
    if access is not None:
        _check_actor(db, access, user, current)
        if access.scope_path and not (path and scopes.contains(access.scope_path, path)):
            raise Forbidden(
                f"you may grant roles only inside your part of the hierarchy "
                f"({access.scope_unit or access.scope_path}): name an org unit within it"
            )
    _keep_a_national_owner(db, current, staying=role == "owner" and path is None)
    if current is None:
        current = Membership(
            workspace_id=workspace.id, user_id=user.id, role=role, org_unit_id=org_unit_id or None
        )
        db.add(current)
    else:
        current.role, current.org_unit_id = role, org_unit_id or None
    db.flush()
    if access is not None:
        from mmsis.web.services import audit

        audit(db, access, "set", "membership", user.email, role=role,
              org_unit=org_unit_id or None, org_unit_path=path)
    return current


def remove_member(db: Session, access: Access | None, workspace: Workspace, user: User) -> None:
    """Take a user out of a workspace (their other workspaces and account stay)."""
    begin_write(db)
    current = _membership(db, workspace.id, user.id)
    if current is None:
        raise NotFound(f"'{user.email}' is not a member of this workspace")
    if access is not None:
        if user.is_admin:
            raise Forbidden("site administrators' memberships are not changed here")
        _check_actor(db, access, user, current)
    _keep_a_national_owner(db, current, staying=False)
    db.delete(current)
    db.flush()
    if access is not None:
        from mmsis.web.services import audit

        audit(db, access, "remove", "membership", user.email, role=current.role,
              org_unit=current.org_unit_id)


def members(db: Session, access: Access) -> list[Member]:
    """The workspace's members an owner may manage (a scoped owner: those inside its subtree)."""
    rows = db.execute(
        select(User.id, User.email, User.name, User.is_active, Membership.role,
               Membership.org_unit_id, OrgUnit.path)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(OrgUnit, and_(OrgUnit.workspace_id == Membership.workspace_id,
                                 OrgUnit.id == Membership.org_unit_id))
        .where(Membership.workspace_id == access.workspace.id)
        .order_by(User.email)
    )
    out = []
    for uid, email, name, active, role, unit, path in rows:
        if access.scope_path and not (unit and scopes.contains(access.scope_path, path)):
            continue
        out.append(Member(uid, email, name, role, unit, path, bool(active)))
    return out


def member_out(db: Session, workspace_id: int, user: User, m: Membership) -> dict[str, object]:
    """A membership as the API returns it (the unit's current path kept as org_unit_path)."""
    return {
        "user_id": user.id,
        "email": user.email,
        "role": m.role,
        "org_unit": m.org_unit_id,
        "org_unit_path": _unit_path(db, workspace_id, m.org_unit_id),
    }
