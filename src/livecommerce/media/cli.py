"""``livecommerce media …``: media operations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livecommerce.config import Settings

media_app = typer.Typer(help="Live video: ingest and delivery.", no_args_is_help=True)


@media_app.command("nginx-config")
def nginx_config(
    app_url: Annotated[
        str, typer.Option(help="Where nginx reaches the app (callbacks and proxying).")
    ] = "http://127.0.0.1:8000",
    rtmp_port: Annotated[int, typer.Option(help="RTMP port nginx listens on.")] = 1935,
    http_port: Annotated[int, typer.Option(help="HTTP port nginx listens on.")] = 8080,
    prefix: Annotated[
        Path, typer.Option(help="Directory for nginx.conf, HLS files, logs and temp files.")
    ] = Path("/var/lib/livecommerce/nginx"),
    user: Annotated[str | None, typer.Option(help="Worker user when nginx starts as root.")] = None,
    module_path: Annotated[
        str, typer.Option(help="The nginx-rtmp module (Debian: libnginx-mod-rtmp).")
    ] = "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    stdout: Annotated[bool, typer.Option(help="Print the config instead of writing it.")] = False,
) -> None:
    """Write an nginx + nginx-rtmp configuration whose callbacks authenticate stream keys
    and move session state through this app's API."""
    from livecommerce.media.nginx import NginxLayout, render_nginx_config, write_nginx_config

    settings = Settings()
    layout = NginxLayout(
        app_url=app_url,
        rtmp_port=rtmp_port,
        http_port=http_port,
        prefix=prefix.expanduser().resolve(),
        module_path=module_path,
        user=user,
    )
    if stdout:
        typer.echo(render_nginx_config(settings, layout), nl=False)
        return
    path = write_nginx_config(settings, layout)
    typer.echo(f"wrote {path}\nstart it with: nginx -p {layout.prefix} -c {path}")
