"""The site: views compute what pages show from the store; templates lay it out; MkDocs builds it."""

from generate.site.render import DEFAULT_DOCS, REPO_ROOT, build, render

__all__ = ["DEFAULT_DOCS", "REPO_ROOT", "build", "render"]
