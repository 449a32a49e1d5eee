#!/usr/bin/env bash
# Build the book: execute every chapter (a failing cell fails the build) with warnings as errors.
# The book serves its own MathJax and ipywidgets JavaScript, so the HTML works offline; those
# come from the npm registry at pinned versions into _build/vendor (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
. tools/env.sh
# The chapters' kernels import lenet from this checkout even where it is not pip-installed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)

# Pinned: MathJax 3 (Sphinx's default major version), the ipywidgets 8 embed manager, RequireJS it loads with.
PACKAGES=(mathjax@3.2.2 @jupyter-widgets/html-manager@1.0.15 requirejs@2.3.8)
VENDOR=_build/vendor
STAMP="$VENDOR/.installed-$(echo "${PACKAGES[*]}" | tr ' /@' '_.+')"
if [ ! -f "$STAMP" ]; then
  rm -rf "$VENDOR"
  mkdir -p "$VENDOR"
  npm install --prefix "$VENDOR" --no-audit --no-fund --no-save --silent "${PACKAGES[@]}"
  touch "$STAMP"
fi
# Only what the pages load: html_static_path copies this folder into _build/html/_static.
STATIC="$VENDOR/static/vendor"
NPM="$STATIC/npm/@jupyter-widgets"
rm -rf "$VENDOR/static"
mkdir -p "$STATIC/mathjax" "$NPM/html-manager/dist"
cp -r "$VENDOR/node_modules/mathjax/es5/"{tex-chtml.js,input,output,ui,a11y,adaptors} "$STATIC/mathjax/"
cp "$VENDOR/node_modules/requirejs/require.js" tools/widgets-offline.js "$STATIC/"
cp "$VENDOR/node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js" "$NPM/html-manager/dist/"
# The manager's icon fonts, where its bundled modules ask for them (relative to their module ids).
for dir in "$NPM" "$NPM/html-manager/dist"; do
  find "$VENDOR/node_modules/@jupyter-widgets/html-manager/dist" -maxdepth 1 -type f \
    \( -name '*.woff*' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) -exec cp {} "$dir/" \;
done
# anywidget's front end (the playground's widget), from the installed Python package.
"$PY" - "$STATIC/npm/anywidget.js" <<'PYEOF'
import pathlib, shutil, sys
import anywidget
shutil.copyfile(pathlib.Path(anywidget.__file__).parent / "nbextension" / "index.js", sys.argv[1])
PYEOF

[ -f book/playground.ipynb ] || { echo "book/playground.ipynb is missing (see _toc.yml)" >&2; exit 1; }
rm -rf _build/html _build/.doctrees
# BOOK_VERBOSE=1 shows Sphinx's log, with each chapter's execution time.
quiet=--quiet
[ -n "${BOOK_VERBOSE:-}" ] && quiet=
.venv/bin/jupyter-book build . --warningiserror --nitpick --keep-going $quiet
echo "book built in $(( $(date +%s) - start )) s: _build/html/index.html"
