"""``livecommerce lottery verify``: recompute a lottery's winners from public data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from livecommerce.interactions import draw

lottery_app = typer.Typer(
    help="Lotteries: check a draw from its published data.", no_args_is_help=True
)


def read_entrants(path: Path) -> list[str]:
    """A JSON list of user ids, the JSON of ``GET /api/v1/lotteries/{id}`` (its
    ``entrants``), or plain text with one id per line."""
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = data.get("entrants") or []
    if not isinstance(data, list):
        raise typer.BadParameter("the entrants file holds no list of ids")
    return [str(item) for item in data]


@lottery_app.command("verify")
def verify(
    seed: Annotated[str, typer.Option(help="The seed revealed at the draw.")],
    entrants: Annotated[
        Path, typer.Option(help="Entrant ids: JSON list, the lottery's JSON, or one per line.")
    ],
    winners: Annotated[int, typer.Option(help="How many winners the lottery had.")],
    seed_hash: Annotated[
        str | None, typer.Option(help="The hash shown at launch; checked against the seed.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the winners the documented algorithm picks (docs/lottery.md)."""
    if seed_hash is not None and draw.seed_hash(seed) != seed_hash.strip().lower():
        typer.echo("seed does not match the published hash", err=True)
        raise typer.Exit(1)
    picked = draw.draw_winners(seed, read_entrants(entrants), winners)
    if as_json:
        typer.echo(
            json.dumps(
                {"algorithm": draw.ALGORITHM, "seed_hash": draw.seed_hash(seed), "winners": picked}
            )
        )
    else:
        for user_id in picked:
            typer.echo(user_id)
