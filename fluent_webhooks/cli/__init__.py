"""Subcommands of ``manage.py webhooks``: one module each, found by name.

A module here is a subcommand when it defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(command, options) -> int`` (the exit status). ``command`` is the running
``BaseCommand``: write with ``command.stdout`` / ``command.stderr`` and its ``style``.
A module's name is the subcommand's, with ``_`` as ``-`` (``rotate_secret`` is
``rotate-secret``); a trailing ``_`` is dropped (``list_`` is ``list``).
"""

from __future__ import annotations

import importlib
import pkgutil
from argparse import ArgumentParser
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand


class Subcommand(Protocol):
    HELP: str

    def add_arguments(self, parser: ArgumentParser) -> None: ...

    def run(self, command: BaseCommand, options: dict[str, Any]) -> int: ...


def subcommand_name(module_name: str) -> str:
    return module_name.rstrip("_").replace("_", "-")


def subcommands() -> dict[str, Subcommand]:
    """Every subcommand module of this package, by subcommand name, in name order."""
    found: dict[str, Subcommand] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if info.name.startswith("_"):
            continue
        module: ModuleType = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "run") and hasattr(module, "HELP"):
            found[subcommand_name(info.name)] = cast(Subcommand, module)
    return found
