"""What every page of the main window is handed: the open store and the rules in force."""

from __future__ import annotations

import dataclasses
import hashlib

from db.settings import active_profile
from db.store import Store
from policy.profile import Profile


@dataclasses.dataclass
class AppContext:
    """The open store and its active policy profile. Pages read both, never globals."""

    store: Store
    profile: Profile

    @classmethod
    def for_store(cls, store: Store) -> AppContext:
        return cls(store=store, profile=active_profile(store))

    @property
    def settings_group(self) -> str:
        """A QSettings group of this database's own: remembered form values (the last host
        school, the last visitor's home school) belong to one county's data, not to every
        database this user opens."""
        digest = hashlib.sha1(self.store.location.encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"databases/{digest[:16]}"

    def reload_profile(self) -> None:
        """Call after the profile or its overrides change (设置 page)."""
        self.profile = active_profile(self.store)
