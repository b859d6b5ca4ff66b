"""What every page of the main window is handed: the open store and the rules in force."""

from __future__ import annotations

import dataclasses

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

    def reload_profile(self) -> None:
        """Call after the profile or its overrides change (设置 page)."""
        self.profile = active_profile(self.store)
