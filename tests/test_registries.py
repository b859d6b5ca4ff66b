"""The registries of import, export and template kinds: one table each, read by the command
line and the GUI alike, so a kind and its label are defined once."""

from __future__ import annotations

import argparse
import inspect

from db.importers import IMPORTERS
from desktop.commands import export, import_, template
from reports.exporters import EXPORTERS, TEMPLATES


def choices(module: object) -> set[str]:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())  # type: ignore[attr-defined]
    (sub,) = parser._subparsers._group_actions[0].choices.values()  # type: ignore[union-attr]
    (kind,) = [a for a in sub._actions if a.dest == "kind"]
    return set(kind.choices)


def test_the_commands_offer_exactly_the_registered_kinds():
    assert choices(import_) == set(IMPORTERS)
    assert choices(export) == set(EXPORTERS)
    assert choices(template) == set(TEMPLATES)


def test_every_importer_takes_a_progress_and_every_template_belongs_to_an_importer():
    for importer in IMPORTERS.values():
        assert "progress" in inspect.signature(importer.load().import_file).parameters, importer.key
    assert set(TEMPLATES) <= set(IMPORTERS)


def test_a_kind_that_imports_back_has_one_label_on_every_menu():
    for key, importer in IMPORTERS.items():
        assert EXPORTERS[key].label == importer.label
        assert TEMPLATES[key].label == importer.label

