"""User accounts: adding, listing, signing in (with lock-out) and changing passwords.

Passwords are hashed with argon2id (argon2-cffi, RFC 9106). Parameters: 2 passes over
64 MiB, 1 lane — about 0.1 s of CPU per check (benchmarks/bench_trust.py), inside the 0.3 s
that sign-in may add to start-up even on a busy 2-core office PC, while 64 MiB per guess
makes GPU cracking of a stolen laptop's database expensive (above OWASP's minimum of
19 MiB × 2 passes). Three passes over 2 lanes cost 0.2 s of CPU and 0.44 s of wall time
on the shared test machine — over budget. A hash made with other parameters still verifies and is re-hashed at
the next sign-in (``check_needs_rehash``).

Lock-out: after ``security.max_failed_logins`` failures in a row the account refuses every
password for ``security.lockout_minutes`` (policy profile figures, GB/T 22239-2019 8.1.4.1).
Failed attempts are written by the "system" role and audited like any change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from db.engine import StoreError
from db.guard import ROLE_NAMES, Actor, PermissionDenied
from db.models import School, User, utcnow
from db.store import Store
from policy import vocab

HASHER = PasswordHasher(time_cost=2, memory_cost=64 * 1024, parallelism=1)
MIN_PASSWORD = 8


class SignInError(StoreError):
    """Wrong name or password, a locked or inactive account; str() is the Chinese reason."""


@dataclasses.dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    display_name: str
    role: str
    school_code: str | None
    school_name: str | None
    active: bool
    locked_until: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["role_name"] = ROLE_NAMES.get(self.role, self.role)
        data["locked_until"] = self.locked_until.isoformat() if self.locked_until else None
        return data


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StoreError(f"密码至少 {MIN_PASSWORD} 个字符")
    if password.isdigit() or password.isalpha():
        raise StoreError("密码应同时包含字母和数字（或其他符号）")


def add_user(store: Store, username: str, role: str, password: str, school_code: str | None = None,
             display_name: str | None = None) -> UserInfo:
    """Create an account (admin only, or anyone in set-up mode for the first admin).

    Raises:
        StoreError: a bad role, a missing or unknown school for a principal, a weak password,
            a name already taken; PermissionDenied for a non-admin.
    """
    username = username.strip()
    if not username or len(username) > 64:
        raise StoreError("用户名不能为空，且不超过 64 个字符")
    if role not in vocab.USER_ROLES:
        names = "、".join(f"{r}（{ROLE_NAMES[r]}）" for r in vocab.USER_ROLES)
        raise StoreError(f"角色应为 {names} 之一：{role}")
    if (role == "principal") != bool(school_code):
        raise StoreError("校长账户须用 --school 指定本校代码；其他角色不指定学校")
    check_password_rules(password)
    if store.actor.setup and role != "admin" and not store.has_users():
        raise StoreError("第一个账户必须是管理员（admin），否则无人能管理账户")
    with store.write(note=f"新增用户 {username}") as session:
        if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
            raise StoreError(f"用户名已存在：{username}")
        school = None
        if school_code:
            school = session.scalar(select(School).where(School.code == school_code))
            if school is None:
                raise StoreError(f"没有代码为 {school_code} 的学校")
        user = User(username=username, display_name=display_name or username, role=role,
                    school_id=school.id if school else None, active=True,
                    password_hash=HASHER.hash(password), password_changed_at=utcnow())
        session.add(user)
    return UserInfo(username, user.display_name, role, school_code, school.name if school else None, True, None)


def list_users(store: Store) -> list[UserInfo]:
    with store.read() as session:
        rows = session.execute(select(User, School.code, School.name).outerjoin(School, School.id == User.school_id)
                               .order_by(User.username)).all()
    return [UserInfo(u.username, u.display_name, u.role, code, name, u.active, u.locked_until)
            for u, code, name in rows]


def _limits(store: Store) -> tuple[int, int]:
    from db.settings import active_profile

    profile = active_profile(store)
    return int(profile.value("security.max_failed_logins")), int(profile.value("security.lockout_minutes"))


def sign_in(store: Store, username: str, password: str) -> Actor:
    """Check ``password`` and make the store work as that user; returns the actor.

    Raises:
        SignInError: unknown name, wrong password, a locked or deactivated account
            (the message does not tell an unknown name from a wrong password).
    """
    max_failures, minutes = _limits(store)
    with store.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    wrong = SignInError("用户名或密码错误")
    if user is None or not user.password_hash:
        HASHER.hash(password)  # the same time as a real check: no hint which names exist
        raise wrong
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        left = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise SignInError(f"账户“{username}”因连续登录失败已被锁定，请约 {left} 分钟后再试，或请管理员解锁")
    if not user.active:
        raise SignInError(f"账户“{username}”已停用")
    try:
        HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = user.failed_logins + 1
        locked = now + dt.timedelta(minutes=minutes) if failures >= max_failures else None
        _bookkeeping(store, username, "登录失败", failed_logins=0 if locked else failures, locked_until=locked)
        if locked:
            raise SignInError(f"密码连续错误 {failures} 次，账户“{username}”已锁定 {minutes} 分钟") from None
        raise wrong from None
    changes: dict[str, Any] = {}
    if user.failed_logins or user.locked_until:
        changes.update(failed_logins=0, locked_until=None)
    if HASHER.check_needs_rehash(user.password_hash):
        changes["password_hash"] = HASHER.hash(password)
    if changes:
        _bookkeeping(store, username, "登录成功", **changes)
    store.actor = Actor(user.username, user.role, user.school_id)
    return store.actor


def _bookkeeping(store: Store, username: str, note: str, **values: Any) -> None:
    """Write sign-in counters as the system role (the user is not signed in yet)."""
    system = Store(store.engine, Actor(username, "system"))
    with system.write(note=note) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        for key, value in values.items():
            setattr(user, key, value)


def change_password(store: Store, username: str, old: str | None, new: str) -> None:
    """Change a password: one's own with the old one, or anyone's as an admin (``old`` None).

    Raises:
        SignInError: the old password is wrong. PermissionDenied: not your account and
            not an admin. StoreError: a weak new password.
    """
    check_password_rules(new)
    actor = store.actor
    own = actor.username == username and not actor.setup
    if not own and actor.role != "admin":
        raise PermissionDenied(f"只有管理员可以修改其他用户的密码（{username}）")
    with store.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise StoreError(f"没有用户：{username}")
    if own and old is not None:
        try:
            HASHER.verify(user.password_hash or "", old)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise SignInError("原密码错误") from None
    elif own and actor.role != "admin":
        raise SignInError("修改自己的密码须输入原密码")
    values = dict(password_hash=HASHER.hash(new), password_changed_at=utcnow(), failed_logins=0, locked_until=None)
    if own:
        _bookkeeping(store, username, "修改密码", **values)
        return
    with store.write(note=f"管理员重设 {username} 的密码") as session:
        target = session.scalar(select(User).where(User.username == username))
        assert target is not None
        for key, value in values.items():
            setattr(target, key, value)


def _admin_only(store: Store, what: str) -> None:
    if store.actor.role != "admin":
        raise PermissionDenied(f"只有管理员可以{what}")


def _update_user(store: Store, username: str, note: str, **values: Any) -> None:
    with store.write(note=note) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise StoreError(f"没有用户：{username}")
        for key, value in values.items():
            setattr(user, key, value)


def unlock(store: Store, username: str) -> None:
    """Lift a lock-out after failed sign-ins (admin only); audited."""
    _admin_only(store, "解锁账户")
    _update_user(store, username, f"管理员解锁 {username}", failed_logins=0, locked_until=None)


def set_active(store: Store, username: str, active: bool) -> None:
    """Deactivate an account (it can no longer sign in; its history stays) or reactivate it.

    Raises:
        PermissionDenied: not an admin. StoreError: one's own account, or the last active
            administrator (no one could manage accounts any more).
    """
    _admin_only(store, "停用或启用账户")
    if not active:
        if username == store.actor.username:
            raise StoreError("不能停用自己正在使用的账户")
        with store.read() as session:
            role = session.scalar(select(User.role).where(User.username == username))
            admins = session.scalar(select(func.count()).select_from(User).where(
                User.role == "admin", User.active.is_(True), User.username != username))
        if role == "admin" and not admins:
            raise StoreError("不能停用最后一个启用的管理员账户")
    _update_user(store, username, f"管理员{'启用' if active else '停用'} {username}", active=active)


def school_choices(store: Store) -> list[tuple[str, str]]:
    """(code, name) of every school, by code: what a principal's account may be tied to."""
    with store.read() as session:
        return [(code, name) for code, name in session.execute(select(School.code, School.name).order_by(School.code))]
