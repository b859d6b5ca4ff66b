"""PyInstaller runtime hook: a stand-in for pandas, which the frozen build leaves out (~40 MB).

OR-Tools' ``cp_model`` (the CP-SAT solver behind 组建建议, policy/cluster_forming.py) imports
pandas at module level for its optional Series helpers (``new_int_var_series`` …), which
EduBridge never calls; without pandas the import fails and cluster forming with it. This
serves ``import pandas`` with a module holding the two names cp_model reads while loading
(``pd.Index``, ``pd.Series``, used in annotations and isinstance checks) as classes that
cannot be instantiated. Anything else asked of it raises, so a future use of real pandas
fails loudly instead of silently. Only pandas is served, and only in the frozen program.
"""

import importlib.abc
import importlib.machinery
import sys


class _Absent:
    """pandas is not in this build; nothing of it can be made."""

    def __new__(cls, *args, **kwargs):
        raise ImportError("pandas is not part of the EduBridge installation")


class _StandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name == "pandas" else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.Index = type("Index", (_Absent,), {})
        module.Series = type("Series", (_Absent,), {})

        def __getattr__(attribute):
            raise AttributeError(f"pandas is not part of the EduBridge installation (pandas.{attribute})")

        module.__getattr__ = __getattr__


sys.meta_path.append(_StandIn())
