"""Settings kept with the data: which policy profile is active and the clerk's adjustments.

They live in the database (not the user's config) so that every machine sharing the data
applies the same rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from db.models import Region, Setting
from db.store import Store
from policy.profile import DEFAULT_PROFILE, Profile, load_profile

PROFILE_KEY = "active_profile"


#: The key ``db.demo.build_demo`` writes: ``{"scale": ..., "seed": ...}``.
DEMO_KEY = "demo"


def demo_info(store: Store) -> dict[str, Any] | None:
    """What the demo marker says (scale, seed) when the store holds the demo data, else None."""
    with store.read() as session:
        setting = session.get(Setting, DEMO_KEY)
        return dict(setting.value) if setting is not None and setting.value else None


#: The mark of a county the clerk started blank (``{"on": day, "templates": folder}``): such a
#: store opens on the window even before its first school is imported.
STARTED_KEY = "county_started"


def county_started(store: Store) -> bool:
    """True when a blank county was started in ``store`` (it may still hold no school)."""
    with store.read() as session:
        return session.get(Setting, STARTED_KEY) is not None


def start_county(store: Store, templates: str, *, name: str | None = None, code: str = "",
                 profile_id: str = DEFAULT_PROFILE) -> None:
    """Mark ``store`` as a county of the clerk's own, in one audited write; with ``name``, the
    county's region (行政区划代码 ``code``, policy ``profile_id``) is written with the mark."""
    with store.write(f"新建县区：{name}" if name else "新建空白县") as session:
        if name:
            session.add(Region(code=code, name=name, level="县区", profile_id=profile_id))
        session.add(Setting(key=STARTED_KEY, value={"on": dt.date.today().isoformat(), "templates": templates}))


def active_profile(store: Store) -> Profile:
    """The profile in force for this store, with the clerk's overrides applied."""
    with store.read() as session:
        setting = session.get(Setting, PROFILE_KEY)
        value: dict[str, Any] = dict(setting.value) if setting else {}
    profile = load_profile(value.get("id", DEFAULT_PROFILE))
    overrides = value.get("overrides") or {}
    return profile.with_overrides(overrides) if overrides else profile


def set_active_profile(store: Store, profile_id: str, overrides: dict[str, Any] | None = None) -> Profile:
    """Make ``profile_id`` (with optional figure overrides) the store's profile; audited.

    Raises:
        PolicyError: unknown profile or a bad override, before anything is written.
    """
    profile = load_profile(profile_id)
    if overrides:
        profile = profile.with_overrides(overrides)
    with store.write(note=f"政策方案改为 {profile_id}") as session:
        setting = session.get(Setting, PROFILE_KEY)
        value = {"id": profile_id, "overrides": dict(overrides or {})}
        if setting is None:
            session.add(Setting(key=PROFILE_KEY, value=value))
        else:
            setting.value = value
    return profile
