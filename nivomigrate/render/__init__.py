"""Renderers: pure functions over one Report (terminal, JSON, Markdown)."""

FORMATS = ("terminal", "json", "markdown", "github")


def render(report, fmt: str, out) -> None:
    """Write `report` to the text stream `out` in format `fmt`."""
    if fmt == "json":
        from nivomigrate.render.json import render_json

        out.write(render_json(report) + "\n")
    elif fmt == "github":
        from nivomigrate.render.github import render_github

        out.write(render_github(report))
    elif fmt == "markdown":
        from nivomigrate.render.markdown import render_markdown

        out.write(render_markdown(report))
    else:
        from nivomigrate.render.terminal import render_terminal

        render_terminal(report, out)
