# Sphinx configuration of the website; docs/make_site.py (bash scripts/docs.sh) prepares the sources and runs Sphinx with it.
import configparser
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_site as build  # noqa: E402  (the paths the build uses)

_cfg = configparser.ConfigParser()
_cfg.read(build.ROOT / "settings.ini")
_s = _cfg["DEFAULT"]

project = _s.get("title", "aa_gan")
author = _s.get("author", "")
copyright = _s.get("copyright", "")
release = version = _s.get("version", "")
language = "en"

extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinx_copybutton"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# The notebooks' stored outputs, never re-executed
nb_execution_mode = "off"
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget JavaScript from a CDN
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "html_image"]
myst_heading_anchors = 3

# Formulas: MathJax 3 from the site itself (docs/make_site.py copies it), so the site needs no network
mathjax_path = "mathjax/tex-mml-chtml.js"
html_static_path = ["_static", str(build.STATIC)]
html_css_files = ["custom.css"]
html_js_files = [("custom.js", {"defer": "defer"})]  # search snippets from the article; the notebook download saves a file

# Copy buttons on code (sphinx-copybutton): the code a reader runs, not the outputs MyST-NB renders in the same
# `div.highlight pre` (those sit in a `div.output`); `>>> `/`... `/`$ ` prompts and their output lines are not copied
copybutton_selector = "div:not(.output) > div.highlight > pre"
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

html_theme = "sphinx_book_theme"
html_title = project
# Notebook pages offer their notebook (the theme's download button -> _sources/NAME.ipynb; docs/make_site.py puts the
# notebook from nbs/ there, the one to run); the API pages' generated markdown is not offered
html_copy_source = True
html_sourcelink_suffix = ""
html_show_sourcelink = False
html_baseurl = _s.get("doc_host", "") + _s.get("doc_baseurl", "") + "/"
html_theme_options = {
    "repository_url": _s.get("git_url", ""),
    "use_repository_button": bool(_s.get("git_url")),
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
smartquotes = False  # code-like text (quotes, --flags) stays as written
html_favicon = "_static/favicon.svg"  # (without one the browser asks for /favicon.ico and logs a 404)
html_context = {"default_mode": "light"}  # the notebooks' figures have white backgrounds


def _notebooks_only(app, pagename, templatename, context, doctree):
    "Only a notebook page gets the download button and a copy of its source (runs before the theme adds its buttons)."
    if not str(context.get("sourcename") or "").endswith(".ipynb"):
        context["sourcename"] = ""
        context["page_source_suffix"] = ""


def setup(app):
    app.connect("html-page-context", _notebooks_only, priority=400)
