"""The GUI is composed, not mixed (issue 12): no class in the labs, the shell or the shared
widgets combines a project class with another base to share ``self``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import convlab

PACKAGES = ("convlab.gui", "convlab.labs", "convlab.shell")


def _modules():
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
            yield importlib.import_module(info.name)


def _project_classes():
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                yield cls


def test_the_modules_are_found():
    names = {cls.__qualname__ for cls in _project_classes()}
    assert {"MainWindow", "SessionController", "LabPanel", "GradientPanel", "MnistPanel",
            "SignalsPanel", "RunController"} <= names


@pytest.mark.parametrize("cls", list(_project_classes()), ids=lambda c: c.__qualname__)
def test_no_class_mixes_a_project_class_into_another_base(cls):
    own = [b for b in cls.__bases__ if b.__module__.startswith(convlab.__name__ + ".")]
    others = [b for b in cls.__bases__ if b not in own and b is not object]
    assert len(own) <= 1, f"{cls.__qualname__} derives from several project classes: {own}"
    # one project base plus another base would share self across two hierarchies
    assert not (own and others), f"{cls.__qualname__} mixes {own} into {others}"
