"""Build the website from the notebooks' stored outputs (nothing is executed), with Sphinx, MyST-NB and sphinx-book-theme.

    python docs/make_site.py            (or: bash scripts/docs.sh)    ->  _site/index.html

1. Every `nbs/*.ipynb` (except `_*`) is copied into `_build/docs/src/`, prepared for a reader: cells that the notebook
   hides (`#| hide`, `#| include: false`, a hidden source with no output) are removed, `#| echo: false` and other
   hidden sources keep only their output, nbdev's `#|` lines and nbval's `# NBVAL_*` lines are stripped from the code
   shown, files the markdown points at (`../images/...`) are copied beside it, notebook names such as `01_data` and
   module names such as `aa_gan.data` written in backticks become links, and a notebook with `#| default_exp NAME`
   gets a line linking to the API page of `aa_gan.NAME`. `nbs/` itself is never written.
   Lessons, not listings: a cell that exports (`#| export`, `#| exports`, `#| exporti`; to `aa_gan.NAME` of its
   `default_exp`, or `#| export OTHER`) is library code, and the page shows it as nbdev's documentation does rather
   than as a code listing: for each public name the cell defines at its top level (`ast`: def, class, assignment; public
   = in the module's `__all__`, each at the last cell that defines it), the same entry the API page has (api_entry:
   signature, docstring, parameter table, the link to its line on GitHub), in a box, with a link to that entry on the
   API page. A cell that exports only imports or private `_helpers` leaves the page; one whose module cannot be imported
   or whose code does not parse keeps its listing. Cells that do not export (the lesson's own code) stay as they are.
   A cell marked `#| exports` (LISTED_EXPORTS) keeps its listing above its entries, as nbdev shows "export and show"
   cells: a lesson marks so the library code that carries its idea (02's and 03's networks), and the budget counts it.
   page_code_lines counts the lines of code a built page shows (code cells, markdown code blocks; not outputs, not API
   entries); tests/test_docs.py holds each GAN-track page to PAGE_CODE_BUDGET (150) and the track to TRACK_CODE_BUDGET
   (1,400).
2. The table of contents is made from the file names, so renamed notebooks need no edit here: the index, then the GAN
   track (`NN_name`, except `00_core` and `90_cli`), then the engineering track (`00_core`, `NNa_name`, `90_cli`, and
   anything else), then the API reference: one page per module `aa_gan/*.py` with its `__all__`, signatures,
   docstrings and a table of the parameters documented docments-style (`x: int = 3,  # what x is`).
   Each entry links to its source: the line in `aa_gan/NAME.py` on GitHub (settings.ini's git_url and branch) and the
   section of the notebook that defines it; types are written as a reader writes them (`int | None`, `keras.Model`).
3. `sphinx-build` writes the static site into `_site/` (MathJax is served from the site itself, so formulas render
   offline; code cells get copy buttons); each notebook page's download button gives `_sources/NAME.ipynb`, the
   notebook itself from `nbs/`, exported code and all.
"""
from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import functools
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
import typing
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, PKG, DOCS = ROOT / "nbs", ROOT / "aa_gan", ROOT / "docs"
SITE = ROOT / "_site"
WORK = ROOT / "_build" / "docs"
SRC, DOCTREES, STATIC = WORK / "src", WORK / "doctrees", WORK / "static"
API_DIR = "api"
GAN_TRACK_CAPTION, ENGINEERING_CAPTION, API_CAPTION = "The GAN track", "The engineering track", "API reference"
ENGINEERING_NUMBERED = ("00_core", "90_cli")  # numbered like the GAN track, but engineering notebooks

DIRECTIVE = re.compile(r"^\s*#\|\s?(.*)$")
NBVAL_COMMENT = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


# ---------------------------------------------------------------- which notebooks, in which order

def notebook_stems(nbs: Path = NBS) -> list[str]:
    "The notebooks' names without `.ipynb`, sorted; files starting with `_` are not part of the book."
    return sorted(p.stem for p in nbs.glob("*.ipynb") if not p.name.startswith("_"))


def is_gan_track(stem: str) -> bool:
    "`NN_name` notebooks are the GAN track, except `00_core` and `90_cli`."
    return bool(re.match(r"^\d\d_", stem)) and stem not in ENGINEERING_NUMBERED


def tracks(stems: list[str]) -> tuple[list[str], list[str]]:
    "(GAN track, engineering track), each in reading order; the index page is in neither."
    stems = sorted(s for s in stems if s != "index")
    return [s for s in stems if is_gan_track(s)], [s for s in stems if not is_gan_track(s)]


def reading_order(stems: list[str]) -> list[str]:
    "Every page of the book as the previous/next links walk it: index, GAN track, engineering track."
    gan, eng = tracks(stems)
    return (["index"] if "index" in stems else []) + gan + eng


def module_names(pkg: Path = PKG) -> list[str]:
    "The library's modules with an API page: `aa_gan/*.py` except `__init__.py` and `_modidx.py`."
    return sorted(p.stem for p in pkg.glob("*.py") if not p.name.startswith("_"))


def directives(source: str) -> dict[str, str]:
    "nbdev/Quarto `#|` directives of a cell as {name: value}: `#| hide` -> {'hide': ''}, `#| echo: false` -> {'echo': 'false'}."
    found = {}
    for line in source.splitlines():
        m = DIRECTIVE.match(line)
        if m and m.group(1).strip():
            key, _, value = m.group(1).strip().partition(" ")
            found[key.rstrip(":").strip()] = value.strip()
    return found


def cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def default_exp(nb: dict) -> str | None:
    "The module a notebook exports (`#| default_exp NAME`), or None."
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            name = directives(cell_source(cell)).get("default_exp")
            if name: return name.split()[0]
    return None


def notebook_title(nb: dict, fallback: str) -> str:
    "The text of the notebook's first markdown `# ` heading."
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("# "): return line[2:].strip()
    return fallback


def read_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- preparing one notebook for a reader

def _falsy(value: str) -> bool:
    return value.strip().lower() in ("false", "no", "0")


def strip_code(source: str) -> str:
    "The code a reader sees: no `#|` directive lines, no `# NBVAL_*` lines, no blank lines at either end."
    lines = [l for l in source.splitlines() if not DIRECTIVE.match(l) and not NBVAL_COMMENT.match(l)]
    return "\n".join(lines).strip("\n")


def _add_tag(cell, tag):
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    if tag not in tags: tags.append(tag)


def prepare_cell(cell: dict) -> dict | None:
    "The cell as the page shows it, or None where the notebook hides it."
    cell = copy.deepcopy(cell)
    kind, src, meta = cell.get("cell_type"), cell_source(cell), cell.get("metadata", {})
    d = directives(src)
    if "hide" in d or _falsy(d.get("include", "true")) or "remove-cell" in meta.get("tags", []):
        return None
    if kind == "markdown":
        cell["source"] = "\n".join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip("\n")
        return cell if cell["source"].strip() else None
    if kind != "code":
        return cell
    code = strip_code(src)
    jupyter = meta.get("jupyter", {}) or {}
    outputs = cell.get("outputs", [])
    hide_output = (_falsy(d.get("output", "true")) or "hide_output" in d or jupyter.get("outputs_hidden")
                   or "remove-output" in meta.get("tags", []))
    hide_input = (_falsy(d.get("echo", "true")) or "hide_input" in d or jupyter.get("source_hidden")
                  or "remove-input" in meta.get("tags", []) or not code)
    if hide_output: outputs = []
    if hide_input and not outputs:
        return None  # nothing of it would be seen
    cell["source"], cell["outputs"] = code, outputs
    if hide_input: _add_tag(cell, "remove-input")
    if hide_output: _add_tag(cell, "remove-output")
    meta = cell.setdefault("metadata", {})
    meta.pop("jupyter", None)  # the tags above say what to show
    return cell


MD_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
HTML_SRC = re.compile(r"""(<(?:img|a|source)\b[^>]*?\b(?:src|href)=["'])([^"']+)(["'])""", re.I)


def _is_local(target: str) -> bool:
    return not (re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/", "{")))


def localise_target(target: str, nb_dir: Path, root: Path, assets: set) -> str:
    """A link or image path of a notebook, as the built page sees it. A file (not a notebook) is looked up beside the
    notebook, then from the repository root (README-style paths), and recorded in `assets` to be copied to the same
    place relative to the site's root; notebook links are kept (the pages sit side by side, like the notebooks)."""
    if not _is_local(target): return target
    path, hash_, frag = target.partition("#")
    if path.endswith((".ipynb", ".md")) or not path: return target
    for base in (nb_dir, root):
        f = (base / path).resolve()
        try: rel = f.relative_to(root.resolve())
        except ValueError: continue
        if f.is_file():
            assets.add(rel.as_posix())
            return rel.as_posix() + hash_ + frag
    return target  # left as written: the site's link check reports it


def _outside_fences(text: str, fn) -> str:
    "Apply fn to the markdown outside fenced code blocks."
    out, chunk, fenced = [], [], False
    for line in text.split("\n"):
        if FENCE.match(line):
            if not fenced: out.append(fn("\n".join(chunk))); chunk = []
            else: out.append("\n".join(chunk)); chunk = []
            out.append(line); fenced = not fenced; continue
        chunk.append(line)
    out.append("\n".join(chunk) if fenced else fn("\n".join(chunk)))
    return "\n".join(out)


def link_names(text: str, stems: set, modules: set, api_prefix: str = API_DIR + "/", nb_prefix: str = "") -> str:
    "`01_data` -> a link to that notebook's page, `aa_gan.data` -> a link to its API page (only names that exist)."
    def nb(m):
        return f"[`{m.group(1)}`]({nb_prefix}{m.group(1)}.ipynb)" if m.group(1) in stems else m.group(0)
    def mod(m):
        return f"[`aa_gan.{m.group(1)}`]({api_prefix}aa_gan.{m.group(1)}.md)" if m.group(1) in modules else m.group(0)
    def fn(chunk):
        chunk = re.sub(r"(?<![\[`])`(\d\d[a-z]?_\w+|index)`(?![\]`(])", nb, chunk)
        return re.sub(r"(?<![\[`])`aa_gan\.(\w+)`(?![\]`(])", mod, chunk)
    return _outside_fences(text, fn)


EXPORTS = ("export", "exports", "exporti")  # nbdev's directives that write a cell into the library
# Exporting cells that keep their listing above their entries: nbdev shows the source of `#| exports` cells ("export and
# show"), which a lesson uses for the library code that carries its idea (the GAN track's code budget counts it).
LISTED_EXPORTS: tuple = ("exports",)


def export_target(source: str, default: str | None) -> str | None:
    "The module an exporting cell writes to: `#| export` -> the notebook's `default_exp`, `#| export OTHER` -> OTHER; else None."
    d = directives(source)
    for key in EXPORTS:
        if key in d:
            arg = d[key].split()
            return arg[0] if arg else default
    return None


def defined_names(source: str) -> list[str] | None:
    """The names a cell's code defines at its top level, in order: `def`, `class`, assignments (also under a top-level
    `if`, `try` or `with`); imports are not definitions. None when the code is not Python (a magic, say)."""
    try: tree = ast.parse(strip_code(source))
    except SyntaxError: return None
    names = []
    def targets(t):
        if isinstance(t, ast.Name): yield t.id
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts: yield from targets(e)
        elif isinstance(t, ast.Starred): yield from targets(t.value)
    def walk(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.append(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets: names.extend(targets(t))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)): names.extend(targets(node.target))
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                walk(node.body); walk(getattr(node, "orelse", [])); walk(getattr(node, "finalbody", []))
                for h in getattr(node, "handlers", []): walk(h.body)
    walk(tree.body)
    return list(dict.fromkeys(names))


def _library_module(modname: str):
    "aa_gan.NAME imported, or None where it cannot be."
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try: return importlib.import_module(f"aa_gan.{modname}")
    except Exception: return None


def export_plan(nb: dict, modules=()) -> dict[int, tuple[str, list[str]]]:
    """Which of the notebook's code cells a page shows as API entries: {cell index: (module, the public names it
    defines)}. A cell is in it when it exports (`#| export`, `#| exports`, `#| exporti`; to `default_exp` or to
    `#| export OTHER`), the page shows it, its code parses and its module is one of `modules` and imports; its public
    names are those the cell defines that are in the module's `__all__`, each at the last cell that defines it (none:
    the cell exports only imports or private helpers, and leaves the page). Cells not in it keep their code listing."""
    plan, last = {}, {}
    default = default_exp(nb)
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code": continue
        src = cell_source(cell)
        target = export_target(src, default)
        if not target or target not in modules or prepare_cell(cell) is None: continue
        names, mod = defined_names(src), _library_module(target)
        if names is None or mod is None: continue
        public = set(getattr(mod, "__all__", []))
        plan[i] = (target, [n for n in names if n in public])
        for n in plan[i][1]: last[(target, n)] = i
    return {i: (m, [n for n in names if last[(m, n)] == i]) for i, (m, names) in plan.items()}


def export_entries(modname: str, names: list[str], stems=(), modules=(), cfg: dict | None = None) -> str:
    "The markdown a notebook page shows for an exporting cell: the API page's entry of each name, boxed, linked to it."
    mod, anchors, cfg = _library_module(modname), api_anchors(modname), settings() if cfg is None else cfg
    lines = []
    for name in names:
        link = f"{API_DIR}/aa_gan.{modname}.md" + (f"#{anchors[name]}" if anchors.get(name) else "")
        lines += api_entry(name, getattr(mod, name, None), modname, cfg=cfg, api_link=link)
    return link_names("\n".join(lines).strip("\n"), set(stems), set(modules))


def prepare_notebook(nb: dict, *, nb_dir: Path = NBS, root: Path = ROOT, stems=(), modules=()) -> tuple[dict, set]:
    """The notebook as its page shows it, and the repository files (relative paths) its markdown needs beside it.
    An exporting cell (see export_plan) is shown as the API entries of the public names it defines, not as code
    (a cell whose directive is in LISTED_EXPORTS: as its code, then its entries)."""
    nb = copy.deepcopy(nb)
    assets: set = set()
    cells = []
    exported = default_exp(nb)
    plan = export_plan(nb, modules)
    cfg = settings() if plan else None
    for i, cell in enumerate(nb.get("cells", [])):
        cell = prepare_cell(cell)
        if cell is None: continue
        if i in plan:  # library code: its documentation in place of the listing (and what it printed, if anything)
            modname, names = plan[i]
            listed = bool(directives(cell_source(nb["cells"][i])).keys() & set(LISTED_EXPORTS))
            if listed: cells.append(cell)  # the listing (and its outputs), then the entries
            if names:
                cells.append({"cell_type": "markdown", "id": f"{cell.get('id') or i}-entries", "metadata": {},
                              "source": export_entries(modname, names, stems, modules, cfg)})
            if cell.get("outputs") and not listed:
                _add_tag(cell, "remove-input"); cells.append(cell)
            continue
        if cell.get("cell_type") == "markdown":
            src = MD_LINK.sub(lambda m: m.group(1) + localise_target(m.group(2), nb_dir, root, assets) + m.group(3),
                              cell["source"])
            src = HTML_SRC.sub(lambda m: m.group(1) + localise_target(m.group(2), nb_dir, root, assets) + m.group(3), src)
            cell["source"] = link_names(src, set(stems), set(modules))
        cells.append(cell)
    if not any(c.get("cell_type") == "markdown" and any(l.startswith("# ") for l in cell_source(c).splitlines())
               for c in cells):
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# " + notebook_title(nb, "Notebook")})
    if exported and exported in modules:
        line = (f"*API reference: this notebook is the source of the module "
                f"[`aa_gan.{exported}`]({API_DIR}/aa_gan.{exported}.md).*")
        first_md = next((i for i, c in enumerate(cells) if c.get("cell_type") == "markdown"), -1)
        cells.insert(first_md + 1, {"cell_type": "markdown", "metadata": {}, "source": line})
    for i, c in enumerate(cells):
        c.setdefault("id", f"docs-{i}")  # cells added here need an id (nbformat 4.5)
    nb["cells"] = cells
    nb.setdefault("metadata", {}).pop("widgets", None)  # no widget state: no widget JavaScript from a CDN
    return nb, assets


def toctree_cell(stems: list[str], modules: list[str]) -> dict:
    "A hidden table of contents for the index page: the two tracks in reading order, then the API pages."
    gan, eng = tracks(stems)
    def tree(caption, entries):
        return "\n".join(["```{toctree}", ":hidden:", ":maxdepth: 1", f":caption: {caption}", "", *entries, "```"])
    parts = [tree(GAN_TRACK_CAPTION, gan), tree(ENGINEERING_CAPTION, eng),
             tree(API_CAPTION, [f"{API_DIR}/aa_gan.{m}" for m in modules])]
    return {"cell_type": "markdown", "id": "docs-toc", "metadata": {}, "source": "\n\n".join(p for p, e in zip(parts, (gan, eng, modules)) if e)}


# ---------------------------------------------------------------- API pages

def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _anno(a) -> str:
    "An annotation as a reader writes it: `int | None` (never `NoneType` or `Optional[...]`), `keras.Model` (not `keras.src...`)."
    if a is inspect.Parameter.empty or a is None: return ""
    return _type_name(a)


def _type_name(a) -> str:
    if a is None or a is type(None): return "None"
    if a is Ellipsis: return "..."
    if isinstance(a, str): return _public_names(a)  # a string annotation (a forward reference), as written
    if isinstance(a, typing.ForwardRef): return _public_names(a.__forward_arg__)
    if isinstance(a, (list, tuple)): return "[" + ", ".join(_type_name(x) for x in a) + "]"  # Callable's argument list
    origin, args = typing.get_origin(a), typing.get_args(a)
    if origin in (typing.Union, types.UnionType):  # X | None and Optional[X] alike: None last
        return " | ".join([_type_name(x) for x in args if x is not type(None)] + (["None"] if type(None) in args else []))
    if origin is typing.Literal: return f"Literal[{', '.join(map(repr, args))}]"
    if origin is not None:
        base = _type_name(origin) if isinstance(origin, type) else _public_names(str(origin))
        return f"{base}[{', '.join(_type_name(x) for x in args)}]" if args else base
    if isinstance(a, type): return _class_name(a)
    return _public_names(str(a))


_KERAS_PUBLIC = ("keras", "keras.layers", "keras.models", "keras.optimizers", "keras.losses", "keras.metrics",
                 "keras.callbacks", "keras.initializers", "keras.random", "keras.ops", "keras.regularizers",
                 "keras.constraints", "keras.saving", "keras.utils", "keras.mixed_precision")


def _keras_public(cls) -> str | None:
    "`keras.Model` for keras.src.models.model.Model: the first public keras module that exports the very class."
    for m in _KERAS_PUBLIC:
        try: mod = importlib.import_module(m)
        except Exception: continue
        if getattr(mod, cls.__name__, None) is cls: return f"{m}.{cls.__name__}"
    return None


def _class_name(cls) -> str:
    "A class by its public name: builtins and typing bare, `keras.Model`, `tf.Tensor`, `np.ndarray`, else module.name."
    mod, name = getattr(cls, "__module__", "") or "", getattr(cls, "__qualname__", cls.__name__)
    if cls in (types.FunctionType, types.BuiltinFunctionType, types.MethodType): return "Callable"
    if mod in ("builtins", "typing", "collections.abc", "types"): return name
    if mod == "keras" or mod.startswith("keras."): return _keras_public(cls) or name
    if mod.startswith("tensorflow"):
        api = vars(cls).get("_tf_api_names") or ()
        return f"tf.{api[0]}" if api else name
    if mod == "numpy" or mod.startswith("numpy."):
        import numpy
        return f"np.{cls.__name__}" if getattr(numpy, cls.__name__, None) is cls else name
    return f"{mod}.{name}"


def _public_names(text: str) -> str:
    "Names inside text (a string annotation, a repr) made public: no `typing.`, no `NoneType`, no `keras.src.` paths."
    text = re.sub(r"\btyping\.", "", str(text)).replace("NoneType", "None")
    def keras(m):
        try: obj = importlib.import_module(m.group(1))
        except Exception: obj = None
        cls = getattr(obj, m.group(2), None)
        return (_keras_public(cls) if isinstance(cls, type) else None) or f"keras.{m.group(2)}"
    return re.sub(r"\b(keras\.src(?:\.\w+)*)\.(\w+)", keras, text)


def _shown_default(d) -> str:
    "A default value as code: a class or function by its name, no memory addresses, public names."
    if inspect.isclass(d) or inspect.isfunction(d) or inspect.isbuiltin(d): return d.__name__
    return _public_names(re.sub(r" at 0x[0-9a-fA-F]+>", ">", repr(d)))


def _code(text: str) -> str:
    text = str(text)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _param(p: inspect.Parameter) -> str:
    "`name: type = default` (`*args`, `**kwargs`), types by their public names."
    out = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
    anno = _anno(p.annotation)
    if anno: out += f": {anno}"
    if p.default is not p.empty: out += (" = " if anno else "=") + _shown_default(p.default)
    return out


def signature(name: str, obj, method: bool = False) -> str:
    "`name(a, b=1)` (one parameter a line when it is long; no `self` for a method, no return type for a class)."
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return name
    if method and sig.parameters and next(iter(sig.parameters)) in ("self", "cls"):
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])
    params, kinds = [], [p.kind for p in sig.parameters.values()]
    for i, p in enumerate(sig.parameters.values()):  # the `/` and `*` markers, as inspect writes them
        if p.kind is p.KEYWORD_ONLY and p.VAR_POSITIONAL not in kinds and p.KEYWORD_ONLY not in kinds[:i]: params.append("*")
        params.append(_param(p))
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(kinds) or kinds[i + 1] is not p.POSITIONAL_ONLY): params.append("/")
    ret = "" if inspect.isclass(obj) else _anno(sig.return_annotation)
    ret = f" -> {ret}" if ret else ""
    one = f"{name}({', '.join(params)}){ret}"
    return one if len(one) <= 72 else f"{name}(\n" + "".join(f"    {p},\n" for p in params) + f"){ret}"


def _field_help(obj) -> dict:
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        return {f.name: f.metadata.get("help") for f in dataclasses.fields(obj) if f.metadata.get("help")}
    return {}


def param_table(obj) -> str:
    "A markdown table of the parameters with their types, defaults and docments comments ('' when it has none)."
    from fastcore.docments import docments
    try: docs = docments(obj, full=True)
    except Exception: return ""
    helps = _field_help(obj)
    rows, returns = [], None
    for name, info in docs.items():
        if name == "return":
            returns = info.get("docment"); continue
        if name in ("self", "cls"): continue
        kind = info.get("kind")
        shown = {inspect.Parameter.VAR_POSITIONAL: "*" + name, inspect.Parameter.VAR_KEYWORD: "**" + name}.get(kind, name)
        default = info.get("default", inspect.Parameter.empty)
        anno = info.get("anno")
        # docments types an unannotated parameter by its default's type: a default of None says nothing of the type
        anno = "" if anno is type(None) and default is None else _anno(anno)
        rows.append("| " + " | ".join([
            _code(shown), _md_cell(_code(anno) if anno else ""),
            _md_cell(_code(_shown_default(default)) if default is not inspect.Parameter.empty else ""),
            _md_cell(md_escape(info.get("docment") or helps.get(name) or ""))]) + " |")
    out = ""
    if rows and any(not r.endswith("|  |") for r in rows):  # a table only where some parameter is described
        out = "\n".join(["| parameter | type | default | description |", "|---|---|---|---|", *rows]) + "\n"
    if returns: out += f"\n**Returns:** {md_escape(returns)}\n"
    return out


def md_escape(text: str) -> str:
    "Plain text (a docstring, a comment) as markdown that shows it as written: `code` spans kept, * _ < $ escaped."
    parts = re.split(r"(`+[^`]*`+)", str(text))
    return "".join(p if i % 2 else re.sub(r"([*_<$\\])", r"\\\1", p) for i, p in enumerate(parts))


def _doc(obj) -> str:
    return md_escape(inspect.cleandoc(obj.__doc__)) if isinstance(getattr(obj, "__doc__", None), str) else ""


def _own_methods(cls):
    for name, member in vars(cls).items():
        if name.startswith("_") and name != "__call__": continue
        if isinstance(member, (staticmethod, classmethod)): member = member.__func__
        if isinstance(member, property):
            yield name, member, "property"
        elif inspect.isfunction(member):
            yield name, member, "method"


def settings() -> dict:
    "settings.ini's [DEFAULT] section (git_url, branch...)."
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT / "settings.ini")
    return dict(cfg.defaults())


NB_MARK = re.compile(r"^# %% (?:\.\./)*nbs/(?P<stem>[^/\s]+)\.ipynb(?:\s+#?(?P<cell>\S+))?")


def source_line(obj, name: str, modfile: Path) -> tuple[Path, int] | None:
    """(the library file, the 1-based line) where `name` is defined: inspect's answer for a class or function defined
    under that name, else the line `NAME = ...` of the module (a value, an alias, a function a factory made:
    `positive_int = _whole_number(1, ...)`), else wherever inspect finds the object."""
    found = None
    try:
        target = inspect.unwrap(obj) if callable(obj) else obj
        if inspect.isclass(target) or inspect.isfunction(target):
            found = Path(inspect.getsourcefile(target)).resolve(), inspect.getsourcelines(target)[1]
            if target.__name__ == name and "<locals>" not in target.__qualname__: return found
    except (TypeError, OSError):
        pass
    try: lines = modfile.read_text(encoding="utf-8").splitlines()
    except OSError: return found
    assigned = _assignment(name)
    for i, line in enumerate(lines, 1):
        if assigned.match(line): return modfile.resolve(), i
    return found


def _assignment(name: str) -> re.Pattern:
    "A line assigning `name` at the top level: `NAME = ...`, `NAME: type = ...`, `A, NAME = ...`."
    n = re.escape(name)
    return re.compile(rf"^(?:\w+\s*,\s*)*{n}\s*(?:,\s*\w+\s*)*(?::[^=]*)?=(?!=)", re.M)


def _heading_slug(line: str) -> str:
    "The anchor MyST gives a markdown heading line, GitHub style: '## `load_dataset`: the pipeline' -> load_dataset-the-pipeline."
    text = re.sub(r"^#+\s+", "", line.strip()).strip()
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__|\*)", "", text)
    try:
        from myst_parser.slugs import github_slugify
    except ImportError:
        def github_slugify(t): return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", t.lower().replace(" ", "-"))
    return github_slugify(text)


def heading_slugs(headings: list[str]) -> list[str]:
    "The anchors MyST gives a page's markdown heading lines, in order: a repeated slug gets -1, -2..."
    slugs, seen = [], set()
    for h in headings:
        slug = _heading_slug(h)
        if slug and slug in seen:
            k = 1
            while f"{slug}-{k}" in seen: k += 1
            slug = f"{slug}-{k}"
        if slug: seen.add(slug)
        slugs.append(slug)
    return slugs


def notebook_anchor(nb: dict, cell_id: str | None, name: str) -> str:
    """The section of the notebook's page where `name` is defined: MyST's anchor of the last heading (levels 2-3, in a
    cell the page shows) above its cell, the cell found by id or by `def name`/`class name`/`name =`; '' when there is
    none (then the link goes to the page)."""
    cells = nb.get("cells", [])
    at = next((i for i, c in enumerate(cells) if cell_id and c.get("id") == cell_id), None)
    if at is None:
        pattern = re.compile(rf"^(?:def|class|async def)\s+{re.escape(name)}\b", re.M)
        at = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code" and
                   (pattern.search(cell_source(c)) or _assignment(name).search(cell_source(c)))), None)
    if at is None: return ""
    headings = []  # (cell index, heading line) of the headings the page shows
    for i, c in enumerate(cells):
        if c.get("cell_type") != "markdown" or prepare_cell(c) is None: continue
        fenced = False
        for line in cell_source(c).splitlines():
            if FENCE.match(line): fenced = not fenced
            elif not fenced and re.match(r"^#{1,3}\s", line): headings.append((i, line))
    slugs = heading_slugs([h for _, h in headings])
    before = [(h, slug) for (i, h), slug in zip(headings, slugs) if i < at]
    if not before or re.match(r"^#\s", before[-1][0]): return ""  # none, or the title: the page itself
    return before[-1][1]


def source_links(obj, name: str, modname: str, source_nb: str | None, cfg: dict | None = None,
                 api_link: str | None = None) -> str:
    """nbdev's "source" link under an API entry: the line in the library's file on GitHub
    (`{git_url}/blob/{branch}/aa_gan/{module}.py#L{n}`), and the notebook that defines it (its section, where known).
    Under an entry on a notebook page (`api_link` given) the second link is to the name's entry on the API page."""
    cfg = settings() if cfg is None else cfg
    modfile = PKG / f"{modname}.py"
    found = source_line(obj, name, modfile)
    links = []
    stem, cell = source_nb, None
    if found and found[0].is_relative_to(ROOT.resolve()):
        path, n = found
        rel = path.relative_to(ROOT.resolve()).as_posix()
        git_url, branch = cfg.get("git_url", "").rstrip("/"), cfg.get("branch", "main")
        if git_url: links.append(f"[source]({git_url}/blob/{branch}/{rel}#L{n})")
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in reversed(lines[:n]):  # the cell marker nbdev wrote above the definition: `# %% ../nbs/01_data.ipynb #id`
            m = NB_MARK.match(line)
            if m: stem, cell = m.group("stem"), m.group("cell"); break
    if api_link:
        links.append(f"[API reference]({api_link})")
    elif stem and (NBS / f"{stem}.ipynb").is_file() and not stem.startswith("_"):
        slug = notebook_anchor(read_nb(NBS / f"{stem}.ipynb"), cell, name)
        links.append(f"notebook [`{stem}`](../{stem}.ipynb{'#' + slug if slug else ''})")
    if not links: return ""
    return "\n".join([":::{container} api-source", " · ".join(links), ":::", ""])


def _entry_heading(text: str, level: int, boxed: bool) -> list[str]:
    "An entry's heading: a section heading on the API page; in a box on a notebook page a rubric (no section of the lesson)."
    if not boxed: return ["#" * level + " " + text, ""]
    return [f":::{{rubric}} {_code(text)}", f":class: api-name api-name-{level}", ":::", ""]


def api_entry(name: str, obj, modname: str, source_nb: str | None = None, cfg: dict | None = None, *,
              api_link: str | None = None) -> list[str]:
    """The markdown lines of one exported name's entry: heading, source links, signature, docstring, parameter table,
    and a class's documented methods and properties. The API page shows it as it is; a notebook page (`api_link`: the
    name's entry on the API page) shows the same entry in an `api-entry` box, with rubrics for headings and links to
    the source and to the API page."""
    boxed = api_link is not None
    src = source_links(obj, name, modname, source_nb, cfg, api_link=api_link)
    lines = _entry_heading(name, 2, boxed)
    if inspect.isclass(obj):
        bases = [b.__name__ for b in obj.__bases__ if b is not object]
        lines += [src, "```python", "class " + signature(name, obj) + (f"  # ({', '.join(bases)})" if bases else ""),
                  "```", "", _doc(obj), "", param_table(obj)]
        for mname, member, kind in _own_methods(obj):
            if not _doc(member): continue
            head = f"{name}.{mname}"
            lines += _entry_heading(head, 3, boxed)
            if kind == "property":
                lines += ["*property*", "", _doc(member), ""]
            else:
                lines += ["```python", signature(head, member, method=True), "```", "", _doc(member), "", param_table(member)]
    elif callable(obj):
        lines += [src, "```python", signature(name, obj), "```", "", _doc(obj), "", param_table(obj)]
    else:
        shown = _public_names(re.sub(r" at 0x[0-9a-fA-F]+>", ">", repr(obj)))  # no memory addresses
        shown = shown.replace(str(ROOT.resolve()) + os.sep, ".../")  # nor the build machine's folder: `Path('.../aa_gan/weights')`
        shown = shown if len(shown) <= 300 else shown[:300] + " ..."
        lines += [src, "```python", f"{name} = {shown}", "```", ""]
        if type(obj).__doc__ and not isinstance(obj, (str, int, float, tuple, list, dict, set, bool)):
            lines += [f"*An instance of `{type(obj).__name__}`.*", ""]
    if boxed:  # (the box's fence is longer than the api-source container's inside it)
        lines = ["::::{container} api-entry", "", *lines, "::::", ""]
    return lines


def api_page(modname: str, source_nb: str | None) -> str:
    "The markdown of one module's API page: everything in its `__all__`, with signatures, docstrings and parameters."
    full = f"aa_gan.{modname}"
    lines = [f"# {full}", ""]
    try:
        mod = importlib.import_module(full)
    except Exception as e:  # the page says so, and the site test fails on it
        return "\n".join(lines + ["```{warning}", f"{full} could not be imported: {type(e).__name__}: {e}", "```", ""])
    if _doc(mod): lines += [_doc(mod), ""]
    if source_nb:
        lines += [f"*Made from the notebook [`{source_nb}`](../{source_nb}.ipynb); the notebook explains and tests it.*", ""]
    names = list(getattr(mod, "__all__", []))
    if not names: lines += ["This module exports nothing.", ""]
    cfg = settings()
    for name in names:
        lines += api_entry(name, getattr(mod, name, None), modname, source_nb, cfg)
    return "\n".join(lines).rstrip() + "\n"


@functools.lru_cache(maxsize=None)
def module_sources() -> dict[str, str]:
    "{module: the notebook that makes it (`#| default_exp`; the first by name)}, read once per build."
    found = {}
    for stem in notebook_stems():
        mod = default_exp(read_nb(NBS / f"{stem}.ipynb"))
        if mod: found.setdefault(mod, stem)
    return found


@functools.lru_cache(maxsize=None)
def api_markdown(modname: str) -> str:
    "The module's API page (api_page), made once per build: the page and the notebook pages' links into it read one text."
    return api_page(modname, module_sources().get(modname))


def api_anchors(modname: str) -> dict[str, str]:
    "{heading text: anchor} of a module's API page: `load_dataset` -> `load_dataset`, as MyST makes them."
    headings = []
    def collect(chunk):
        headings.extend(l for l in chunk.split("\n") if re.match(r"^#{1,3}\s", l))
        return chunk
    _outside_fences(api_markdown(modname), collect)
    return {re.sub(r"^#+\s+", "", h).strip(): slug for h, slug in zip(headings, heading_slugs(headings))}


# ---------------------------------------------------------------- how much code a built page shows

PAGE_CODE_BUDGET, TRACK_CODE_BUDGET = 150, 1400  # lines of code a GAN-track page shows; the GAN track's pages in all
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_NOT_CODE = {"cell_output", "output", "api-entry"}  # what a cell printed; an exported name's entry (documentation)


class _CodeBlocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.blocks, self.inside = [], [], None  # (tag, classes) open; texts found; the <pre> being read
    def handle_starttag(self, tag, attrs):
        if tag in _VOID: return
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "pre" and self.inside is None:
            around = set().union(*(c for _, c in self.stack)) if self.stack else set()
            if "highlight" in around and not around & _NOT_CODE: self.inside = len(self.stack); self.blocks.append("")
        self.stack.append((tag, classes))
    def handle_startendtag(self, tag, attrs): pass
    def handle_endtag(self, tag):
        if not any(t == tag for t, _ in self.stack): return
        while self.stack:
            t, _ = self.stack.pop()
            if self.inside is not None and len(self.stack) == self.inside: self.inside = None
            if t == tag: break
    def handle_data(self, data):
        if self.inside is not None: self.blocks[-1] += data


def shown_code(page_html: str) -> list[str]:
    """The code blocks a built page shows a reader, in order: code cells' inputs and markdown's code blocks (each a
    `<pre>` in a `div.highlight`); not what cells printed (`div.cell_output`, `div.output`), and not the signatures in
    the API entries of exported names (`div.api-entry`), which document the library rather than list it."""
    parser = _CodeBlocks(); parser.feed(page_html); parser.close()
    return parser.blocks


def code_lines(code: str) -> int:
    "Lines of code: the non-blank ones."
    return sum(1 for line in code.splitlines() if line.strip())


def page_code_lines(page: Path) -> int:
    "How many lines of code a built page (`_site/NAME.html`) shows (see shown_code)."
    return sum(code_lines(b) for b in shown_code(Path(page).read_text(encoding="utf-8")))


def largest_code_blocks(page: Path, n: int = 5) -> list[tuple[int, str]]:
    "The page's n largest code blocks as (lines, first line), the largest first: what to move out of an over-long page."
    blocks = [(code_lines(b), next((l.strip() for l in b.splitlines() if l.strip()), ""))
              for b in shown_code(Path(page).read_text(encoding="utf-8"))]
    return sorted(blocks, key=lambda b: -b[0])[:n]


def over_budget(counts: dict[str, int], page: int = PAGE_CODE_BUDGET, track: int = TRACK_CODE_BUDGET) -> dict[str, int]:
    "{page: lines over its budget} for the pages of `counts` ({page: lines shown}) over `page`, and 'track' for the sum over `track`."
    over = {stem: n - page for stem, n in counts.items() if n > page}
    if sum(counts.values()) > track: over["track"] = sum(counts.values()) - track
    return over


# ---------------------------------------------------------------- the build

def copy_mathjax(dest: Path) -> None:
    "MathJax 3 from the django-static-mathjax package (a dev requirement) into the site: formulas render offline."
    import importlib.util
    spec = importlib.util.find_spec("mathjax")
    es5 = next((Path(p) / "static" / "mathjax" / "es5" for p in (spec.submodule_search_locations or [])), None) if spec else None
    if not es5 or not (es5 / "tex-mml-chtml.js").is_file():
        sys.exit("docs/make_site.py: MathJax not found: pip install 'django-static-mathjax>=3.2,<4' (in settings.ini's dev_requirements)")
    out = dest / "mathjax"
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    shutil.copy2(es5 / "tex-mml-chtml.js", out)
    for sub in ("output/chtml", "input/tex/extensions", "a11y", "ui", "adaptors"):
        if (es5 / sub).is_dir(): shutil.copytree(es5 / sub, out / sub, dirs_exist_ok=True)
    for f in ("output/chtml.js", "input/tex.js", "input/tex-base.js"):
        if (es5 / f).is_file(): (out / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(es5 / f, out / f)
    lic = es5.parent / "LICENSE"
    if lic.is_file(): shutil.copy2(lic, out / "LICENSE")


def prepare_sources(src: Path = SRC, static: Path = STATIC, quiet: bool = False) -> list[str]:
    "Write the Sphinx source folder: prepared notebooks, their files, the API pages. Returns the reading order."
    shutil.rmtree(src, ignore_errors=True); src.mkdir(parents=True)
    stems, modules = notebook_stems(), module_names()
    module_sources.cache_clear(); api_markdown.cache_clear()  # this build's notebooks and modules
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    assets: set = set()
    for stem in stems:
        nb = read_nb(NBS / f"{stem}.ipynb")
        page, needed = prepare_notebook(nb, stems=stems, modules=modules)
        if stem == "index": page["cells"].append(toctree_cell(stems, modules))
        assets |= needed
        (src / f"{stem}.ipynb").write_text(json.dumps(page, indent=1, ensure_ascii=False), encoding="utf-8")
    for rel in sorted(assets):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    (src / API_DIR).mkdir()
    for m in modules:
        text = api_markdown(m)
        text = link_names(text, set(stems), set(modules), api_prefix="", nb_prefix="../")
        (src / API_DIR / f"aa_gan.{m}.md").write_text(text, encoding="utf-8")
        if "could not be imported" in text and not quiet: print(f"docs/make_site.py: WARNING: aa_gan.{m} could not be imported", file=sys.stderr)
    copy_mathjax(static)
    order = reading_order(stems) + [f"{API_DIR}/aa_gan.{m}" for m in modules]
    return order


def offer_notebooks(out: Path, nbs: Path = NBS) -> list[str]:
    """The notebook each page offers for download (the theme's button -> `_sources/NAME.ipynb`): the notebook itself
    from `nbs/`, every cell and stored output, the one to run, rather than the copy prepared for the page (which lacks
    the hidden cells it may need). Returns the names placed."""
    placed = []
    for stem in notebook_stems(nbs):
        dest = out / "_sources" / f"{stem}.ipynb"
        if dest.is_file():  # Sphinx put the page's copy there: the page has the button
            shutil.copy2(nbs / f"{stem}.ipynb", dest); placed.append(stem)
    return placed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(SITE), help="where the site goes (default: _site/)")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    t0 = time.perf_counter()
    order = prepare_sources()
    t1 = time.perf_counter()
    html = WORK / "html"  # (MyST-NB writes beside Sphinx's output folder, so that folder lives in _build/ first)
    for d in (DOCTREES, html, WORK / "jupyter_execute"): shutil.rmtree(d, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1", "-c", str(DOCS), "-d", str(DOCTREES), str(SRC), str(html)]
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode: sys.exit(f"docs/make_site.py: sphinx-build failed ({r.returncode})")
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(str(html), str(out))
    offer_notebooks(out)
    if (out / "_sources").is_dir() and not any((out / "_sources").iterdir()): (out / "_sources").rmdir()
    (out / ".nojekyll").touch()  # GitHub Pages: serve the _static/ folders as they are
    print(f"docs/make_site.py: {len(order)} pages in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/ "
          f"({t1 - t0:.0f} s preparing, {time.perf_counter() - t1:.0f} s sphinx); view it with: python -m http.server -d {out.name}")


if __name__ == "__main__":
    main()
