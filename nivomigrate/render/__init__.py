"""Renderers: pure functions over one Report (terminal, JSON, Markdown, GitHub, HTML)."""

FORMATS = ("terminal", "json", "markdown", "github", "html")


def render(report, fmt: str, out, *, verbose: bool = False, quiet: bool = False,
           roots: tuple[str, ...] = ()) -> None:
    """Write `report` to the text stream `out` in format `fmt` (`verbose`: every finding;
    `quiet`: the terminal shows only the errors and the verdict), with paths under `roots`
    (the project's folder, the working directory) written relative to them."""
    from nivomigrate.findings import with_relative_paths

    report = with_relative_paths(report, *roots)
    if fmt == "json":
        from nivomigrate.render.json import render_json

        out.write(render_json(report) + "\n")
    elif fmt == "github":
        from nivomigrate.render.github import render_github

        out.write(render_github(report))
    elif fmt == "markdown":
        from nivomigrate.render.markdown import render_markdown

        out.write(render_markdown(report))
    elif fmt == "html":
        from nivomigrate.render.html import render_html

        out.write(render_html(report))
    else:
        from nivomigrate.render.terminal import render_terminal

        render_terminal(report, out, verbose=verbose, quiet=quiet)
