"""The Python side of the live widgets on a static page (book/_vendor/live-worker.js).

Runs inside Pyodide in the page's Web Worker, with no kernel: ipywidgets' models talk to the
page's own widget manager through this module instead of a Jupyter kernel's comm channel.

* :class:`PageComm` is what ``comm.create_comm`` returns here (the ``comm`` package's hook
  for a comm implementation, comm 0.2): each message a widget publishes goes to the worker's
  ``post`` as JSON text and a list of binary buffers, with the id of the page's message
  being handled (the widget manager matches an ``echo_update`` to the change that caused it).
* :func:`deliver` hands a message from the page to its comm, as a kernel would.
* :func:`run_cell` runs a widget's cell as the REPL would (its last line is the value) and
  returns the id of the widget's model, which the page then displays.
* :func:`save_warm_start` and :func:`restore_warm_start`: what a start compiled and built
  that the next start in this browser can reuse (the worker keeps it in its cache).
"""

from __future__ import annotations

import ast
import glob
import importlib.util
import io
import json
import logging
import os
import sys
import types
import zipfile

# Imports write their bytecode (save_warm_start keeps it for the next start).
sys.dont_write_bytecode = False
# The book's figures are drawn by Agg into PNGs (matgrad.book.figures); no browser backend.
os.environ.setdefault("MPLBACKEND", "Agg")
# A fresh Python builds matplotlib's font cache on first use and says so on stderr, which
# would read like a fault; it is expected here.
logging.getLogger("matplotlib.font_manager").setLevel("ERROR")


def _stand_in_for_ipython() -> None:
    """Modules that stand in for IPython in this worker (there is no IPython shell here).

    ipywidgets 8.1.9 imports three things from IPython: ``get_ipython`` (None where there is
    no shell, as here), ``display`` and ``clear_output`` (for its Output widget and
    ``interact``, which the book's widgets do not use) and ``InteractiveShell`` (imported by
    the Output widget's module, not used by it at import). IPython 8.23 itself imports its
    terminal (prompt_toolkit, pygments): 2 to 3 s of the start in Pyodide, and 3 MB to
    download. Anything that would need a real shell says so instead of doing nothing."""

    def no_output_area(*args, **kwargs):
        raise RuntimeError("a live widget on a page has no output area to display into")

    class InteractiveShell:
        """IPython's shell: never created here."""

    modules = {
        name: types.ModuleType(name)
        for name in ("IPython", "IPython.display", "IPython.core", "IPython.core.interactiveshell")
    }
    modules["IPython"].get_ipython = lambda: None
    modules["IPython"].display = modules["IPython.display"]
    modules["IPython"].core = modules["IPython.core"]
    modules["IPython.display"].display = no_output_area
    modules["IPython.display"].clear_output = no_output_area
    modules["IPython.core"].interactiveshell = modules["IPython.core.interactiveshell"]
    modules["IPython.core.interactiveshell"].InteractiveShell = InteractiveShell
    sys.modules.update(modules)


_stand_in_for_ipython()

import comm  # noqa: E402  (after the environment above)
from comm.base_comm import BaseComm  # noqa: E402

post = None  # set by the worker: post(message_json, buffers) sends a message to the page
_parent: str | None = None  # the id of the page's message being handled, if any


class PageComm(BaseComm):
    """A comm whose other end is the page's widget manager, reached through ``post``."""

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        message = {
            "msg_type": msg_type,
            "comm_id": self.comm_id,
            "data": data or {},
            "metadata": metadata or {},
            "parent": _parent,
            **keys,  # comm_open's target_name and target_module
        }
        post(json.dumps(message, allow_nan=False), [bytes(buffer) for buffer in buffers or []])


comm.create_comm = PageComm


def _as_bytes(buffer) -> bytes:
    """A buffer from the page (a Uint8Array, whose Pyodide proxy has ``to_bytes``) as bytes."""
    return buffer.to_bytes() if hasattr(buffer, "to_bytes") else bytes(buffer)


def deliver(comm_id: str, text: str, buffers, msg_id: str) -> None:
    """Hand the page's message ``msg_id`` (JSON ``text`` and binary ``buffers``) to its comm."""
    global _parent
    target = comm.get_comm_manager().get_comm(comm_id)
    if target is None:  # closed meanwhile: nothing is listening
        return
    message = {
        "header": {"msg_id": msg_id, "msg_type": "comm_msg"},
        "parent_header": {},
        "metadata": {},
        "content": {"comm_id": comm_id, "data": json.loads(text)},
        "buffers": [memoryview(_as_bytes(buffer)) for buffer in buffers],
    }
    _parent = msg_id
    try:
        target.handle_msg(message)
    finally:
        _parent = None


def run_cell(code: str) -> str:
    """Run ``code`` in a fresh namespace; its last line must be a widget: its model's id."""
    tree = ast.parse(code, "<widget cell>")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace = {"__name__": "__main__"}
    exec(compile(tree, "<widget cell>", "exec"), namespace)
    value = None
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<widget cell>", "eval"), namespace)
    model_id = getattr(value, "model_id", None)
    if not isinstance(model_id, str):
        raise TypeError(f"the widget's cell gave {type(value).__name__}, not a widget")
    return model_id


# Where Pyodide unpacked the packages (as their modules name it: sysconfig says
# "//lib/python3.12/site-packages" in Pyodide 0.27.7).
SITE_PACKAGES = os.path.dirname(os.path.dirname(comm.__file__))


def save_warm_start() -> bytes:
    """A zip of what this start made that the next one can reuse: the bytecode of every
    module imported from site-packages, and matplotlib's font list.

    Pyodide's packages are Python sources, which every start compiled again (most of the
    time of ``import matplotlib.figure``), and matplotlib scans its fonts on first use. The
    bytecode is stored as unchecked (PEP 552): a new start unpacks the same sources with new
    times, which would void timestamp-checked bytecode. It is only reused with the very
    files it was compiled from: the worker keeps it under the name of this build's files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None) or ""
            if not (source.startswith(SITE_PACKAGES) and source.endswith(".py")):
                continue
            compiled = importlib.util.cache_from_source(source)
            if not os.path.exists(compiled):
                continue
            with open(compiled, "rb") as file:
                data = file.read()
            if int.from_bytes(data[4:8], "little") == 0:  # checked against the source's time
                with open(source, "rb") as file:
                    digest = importlib.util.source_hash(file.read())
                data = data[:4] + (1).to_bytes(4, "little") + digest + data[16:]
            archive.writestr(compiled.lstrip("/"), data)
        import matplotlib

        for font_list in glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json")):
            archive.write(font_list, font_list.lstrip("/"))
    return buffer.getvalue()


def restore_warm_start(path: str) -> int:
    """Unpack what :func:`save_warm_start` kept (before anything is imported): its count."""
    with zipfile.ZipFile(path) as archive:
        archive.extractall("/")
        return len(archive.namelist())
