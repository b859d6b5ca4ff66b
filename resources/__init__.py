"""Bundled data: fonts, policy profiles, document templates, icons."""

from pathlib import Path

_ROOT = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource (works from a source tree, a wheel or a frozen build)."""
    return _ROOT.joinpath(*parts)
