"""The README tells the truth about settings and commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecommerce.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`LIVECOMMERCE_{name.upper()}`" in README, "run scripts/settings-table"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_explains_itself(name: str) -> None:
    assert Settings.model_fields[name].description, f"Settings.{name} needs a description"


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == [
        "./scripts/demo",
        "./scripts/test",
    ]
