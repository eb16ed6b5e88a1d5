"""convlab.core's star imports must not let one module's public name hide another's."""

import importlib
import pkgutil

import convlab.core as cc


def test_public_names_are_unique_across_core_modules():
    owners: dict[str, tuple[str, object]] = {}
    clashes = []
    for info in pkgutil.iter_modules(cc.__path__):
        module = importlib.import_module(f"convlab.core.{info.name}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if name in owners and owners[name][1] is not obj:
                clashes.append(f"{name}: {owners[name][0]} and {info.name}")
            owners.setdefault(name, (info.name, obj))
    assert clashes == []


def test_every_public_name_reaches_the_package():
    for info in pkgutil.iter_modules(cc.__path__):
        module = importlib.import_module(f"convlab.core.{info.name}")
        for name in getattr(module, "__all__", []):
            if info.name.startswith("_") and name not in cc.__dict__:
                continue  # private helper modules need not be re-exported
            obj = getattr(module, name)
            assert getattr(cc, name) is obj, f"cc.{name} is not {info.name}.{name}"
