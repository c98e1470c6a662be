"""One module per court; each turns a page into a Snapshot and never touches the database."""

import importlib

ADAPTER_MODULES = ("cases.sources.icj", "cases.sources.icc", "cases.sources.echr")


def load_adapters():
    for module in ADAPTER_MODULES:
        importlib.import_module(module)
