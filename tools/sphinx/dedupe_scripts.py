"""A Sphinx extension that drops repeated <script> tags from each page.

With jupyter-book 1.0.4 and sphinx-thebe 0.3.1 (which jupyter-book always
loads), sphinx-thebe's inline configuration script reaches every page twice; the
second copy re-declares ``const THEBE_JS_URL`` and the browser reports a
SyntaxError.  Keeping the first copy of each identical script removes the error
without touching the packages.
"""

from __future__ import annotations


def _dedupe(app, pagename, templatename, context, doctree) -> None:  # noqa: ARG001 - Sphinx's event signature
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        # Inline scripts come with filename None or "", depending on who added them.
        key = (getattr(script, "filename", str(script)) or "",
               tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: the list is the builder's own, which later handlers may still extend.
    scripts[:] = unique


def setup(app):
    # Late, so that it sees the scripts every other handler has added to the page.
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
