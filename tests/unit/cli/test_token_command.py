"""``kinerja token``: an unknown role is a clear error naming the valid ones, and the help lists them."""

from __future__ import annotations

import pytest

from kinerja.cli import build_parser, main
from shared.auth import Role


def test_an_unknown_role_is_refused_with_the_valid_roles_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "--role", "employee,superuser", "--region", "medan"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert "superuser" in error
    for role in Role:
        assert role.value in error


def test_the_help_lists_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["token", "--help"])
    token_help = capsys.readouterr().out
    assert "..." not in token_help
    for role in Role:
        assert role.value in " ".join(token_help.split())
