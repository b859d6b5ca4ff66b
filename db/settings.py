"""Settings kept with the data: which policy profile is active and the clerk's adjustments.

They live in the database (not the user's config) so that every machine sharing the data
applies the same rules.
"""

from __future__ import annotations

from typing import Any

from db.models import Setting
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
