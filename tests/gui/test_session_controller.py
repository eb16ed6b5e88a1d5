"""The session controller on its own: it knows the labs only through the LabHost/Lab protocol."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QWidget

from convlab import session
from convlab.shell.session_controller import SessionController


class Counter:
    """A lab as the shell sees it: state, revision, nothing else."""

    def __init__(self, value: int = 0, fail_on: int | None = None) -> None:
        self.value = value
        self.fail_on = fail_on
        self.revisions = 0

    def get_state(self):
        return {"value": self.value}

    def set_state(self, state):
        if state["value"] == self.fail_on:
            raise RuntimeError("this lab breaks on that value")  # not a ValueError
        self.value = state["value"]
        self.revisions += 1

    def revision(self) -> int:
        return self.revisions


class Host:
    def __init__(self, **labs: Counter) -> None:
        self.labs = labs
        self.built = dict(labs)

    def built_labs(self):
        return dict(self.built)

    def all_labs(self):
        return dict(self.labs)


@pytest.fixture
def controller(qapp, tmp_path):
    parent = QWidget()
    host = Host(a=Counter(1), b=Counter(2, fail_on=13))
    ctrl = SessionController(host, QSettings(str(tmp_path / "s.ini"),
                                             QSettings.Format.IniFormat), parent,
                             interactive=False)
    yield ctrl, host
    parent.deleteLater()


def test_dirty_follows_revisions_and_title_is_signalled(controller, tmp_path):
    ctrl, host = controller
    titles = []
    ctrl.title_changed.connect(lambda title, modified: titles.append((title, modified)))
    ctrl.mark_clean()
    assert not ctrl.is_dirty() and titles[-1] == ("Untitled[*] — ConvLab", False)
    host.labs["a"].set_state({"value": 5})
    assert ctrl.is_dirty()
    assert ctrl.save_to(tmp_path / "x.convlab")
    assert titles[-1] == ("x.convlab[*] — ConvLab", False)
    assert session.load_session(tmp_path / "x.convlab") == {"a": {"value": 5}, "b": {"value": 2}}


def test_any_failure_of_a_lab_rolls_every_lab_back(controller, tmp_path):
    ctrl, host = controller
    path = tmp_path / "bad.convlab"
    session.save_session(path, {"a": {"value": 7}, "b": {"value": 13}})
    with pytest.raises(session.SessionError, match="b lab: this lab breaks"):
        ctrl.open_path(path)
    assert host.labs["a"].value == 1 and host.labs["b"].value == 2
