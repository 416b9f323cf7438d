/* Live widgets in place (book/_ext/live_notebooks.py writes the markup this script drives).
 *
 * Every widget on a static page is an inert snapshot of its stored state. Its button loads,
 * only when clicked, an iframe of the site's JupyterLite REPL that installs matgrad and runs
 * the widget's cell (jupyterlite-sphinx's load-on-click pattern). The snapshot stays on show,
 * marked as such, until the live widget has rendered; then the iframe takes its place.
 *
 * Failure is never silent: without WebAssembly, when a runtime file cannot be had (checked
 * before the iframe loads: the kernel itself would wait for it without a word), on an error in
 * the REPL or a dead kernel, or when no widget has rendered after the panel's start limit
 * (data-start-limit-ms: a cold start on a slow phone can take a minute or more), the reader is
 * told what happened and what to do, and the snapshot stays, still marked as a snapshot. The
 * same WebAssembly check guards the "Run live" link of each chapter.
 */
(function () {
  "use strict";
  var POLL_MS = 250;
  var STAGES = {
    app: "Opening the live notebook app…",
    python: "Starting Python in your browser (Pyodide)…",
    install: "Installing matgrad and the packages its widgets need…",
    widget: "Running the widget's cell…",
  };
  var NO_WASM =
    "This browser cannot run Python here: it has no WebAssembly (or it is switched off). " +
    "A current Chrome, Firefox, Safari or Edge runs the live book; this page and its " +
    "snapshots stay as they were saved.";

  function hasWebAssembly() {
    return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  }

  function say(panel, text, isError) {
    var status = panel.querySelector(".matgrad-live-status");
    status.textContent = text;
    status.classList.toggle("matgrad-live-error", Boolean(isError));
  }

  // What the REPL inside the iframe shows: the widget, an error, or how far it has got. The
  // lite app exposes itself (exposeAppInBrowser in book/_lite/jupyter-lite.json), so its kernel's
  // status and its cells' outputs are read from its models, not guessed from its pages.
  function inspect(frame) {
    var app;
    try {
      app = frame.contentWindow && frame.contentWindow.jupyterapp;
    } catch (error) {
      return { error: "the live widget's page could not be read (" + error + ")" };
    }
    var panel = app && app.shell && app.shell.currentWidget;
    if (!panel || !panel.console || !panel.sessionContext) return { stage: STAGES.app };
    var session = panel.sessionContext.session;
    var kernel = session && session.kernel;
    if (kernel && (kernel.status === "dead" || kernel.connectionStatus === "disconnected")) {
      return { error: "Python stopped (its kernel is " + kernel.status + ")" };
    }
    var cells = panel.console.cells;
    for (var i = 0; i < cells.length; i++) {
      var outputs = cells.get(i).model.outputs.toJSON();
      for (var j = 0; j < outputs.length; j++) {
        if (outputs[j].output_type === "error") {
          return { error: outputs[j].ename + ": " + outputs[j].evalue };
        }
      }
    }
    if (panel.node.querySelector(".jp-OutputArea-output .jupyter-widgets")) return { live: true };
    if (!kernel || kernel.status === "starting" || kernel.status === "unknown" || !cells.length) {
      return { stage: STAGES.python };
    }
    var installed = cells.get(0).model.executionCount !== null;
    return { stage: installed ? STAGES.widget : STAGES.install };
  }

  // Each core runtime file answers a HEAD request (no download) before the iframe loads.
  function probeRuntime(panel) {
    var names = panel.dataset.probes.split(" ");
    return Promise.all(
      names.map(function (name) {
        var url = panel.dataset.runtime + name;
        return fetch(url, { method: "HEAD", cache: "no-store" }).then(
          function (reply) {
            return reply.ok ? null : name + " (HTTP " + reply.status + ")";
          },
          function () {
            return name + " (no answer)";
          },
        );
      }),
    ).then(function (missing) {
      return missing.filter(Boolean);
    });
  }

  function goLive(panel, button) {
    var cell = panel.closest(".cell");
    var snapshot = cell.querySelector(".matgrad-snapshot");
    if (!hasWebAssembly()) {
      say(panel, NO_WASM, true);
      return;
    }
    button.disabled = true;
    say(panel, "Starting Python in your browser… the snapshot below is still the saved state.");
    probeRuntime(panel).then(function (missing) {
      if (missing.length) {
        button.disabled = false;
        say(panel, "The Python runtime could not be loaded from this site: " +
          missing.join(", ") + ". Reload the page to try again; if it persists, the site " +
          "was published without its runtime. The snapshot below is the saved state.", true);
      } else {
        start(panel, button, snapshot);
      }
    });
  }

  // The REPL shows the cells it ran and a prompt for more. The prompt goes (a live widget needs
  // none), and the iframe is kept as tall as the cells, so that nothing scrolls inside it.
  // Returns whether the height had to change.
  function fit(frame) {
    var panel = frame.contentWindow.jupyterapp.shell.currentWidget;
    var prompt = panel.console.promptCell;
    if (prompt && prompt.parent && prompt.parent.isVisible) prompt.parent.hide();
    // What the ran cells need (not the content's box: it stretches with the iframe), plus
    // what the REPL has around them.
    var content = panel.node.querySelector(".jp-CodeConsole-content");
    var cells = 0;
    for (var i = 0; i < content.children.length; i++) cells += content.children[i].offsetHeight;
    var needed = panel.node.offsetHeight - content.clientHeight + cells + 12;
    if (Math.abs(frame.clientHeight - needed) <= 8) return false;
    frame.style.height = needed + "px";
    return true;
  }

  // ipywidgets 8 draws a slider's handle as noUiSlider's <div role="slider"> with no name (its
  // description is a <label> that names nothing), so a screen reader would announce a bare
  // value. Each handle is named by its slider's label, also when the widget redraws.
  function nameSliders(frame) {
    var doc = frame.contentDocument;
    function name() {
      var handles = doc.querySelectorAll(".widget-slider [role='slider']:not([aria-label])");
      for (var i = 0; i < handles.length; i++) {
        var label = handles[i].closest(".widget-slider").querySelector(".widget-label");
        var text = label ? label.textContent.trim() : "";
        if (text) handles[i].setAttribute("aria-label", text);
      }
    }
    name();
    new frame.contentWindow.MutationObserver(name).observe(doc.body, {
      childList: true,
      subtree: true,
    });
  }

  // Swapped in for the snapshot, the live widget is announced once its size has settled
  // (a click while the page still moves under the mouse would be lost), then kept fitted.
  function reveal(panel, frame, snapshot) {
    // Pressing a control makes the REPL focus its whole panel first, and the browser scrolls
    // this page to show that focused panel: the control moves away under the mouse before it
    // is released, and the click is lost. The iframe is fitted to its content, so focusing
    // inside it never needs to scroll anything.
    var inner = frame.contentWindow.HTMLElement.prototype;
    var focus = inner.focus;
    inner.focus = function (options) {
      return focus.call(this, Object.assign({ preventScroll: true }, options));
    };
    // The page shows the widget's cell right above it; the REPL shows only what it computed,
    // across its whole width (no prompt gutter: on a phone it took a fifth of the width).
    var style = frame.contentDocument.createElement("style");
    style.textContent =
      ".jp-CodeConsole-content .jp-Cell-inputWrapper," +
      " .jp-CodeConsole-content .jp-mod-noOutputs," +
      " .jp-CodeConsole-content .jp-OutputPrompt { display: none; }";
    frame.contentDocument.head.appendChild(style);
    nameSliders(frame);
    // The REPL is a JupyterLab console, which takes an Enter pressed outside its prompt (it
    // cancels the key and focuses the prompt), so a widget's button never saw it. The prompt
    // is hidden here: an Enter on a widget's button is the button's.
    frame.contentWindow.addEventListener(
      "keydown",
      function (event) {
        var target = event.target;
        if (event.key === "Enter" && target.closest && target.closest(".jupyter-widgets button")) {
          event.stopPropagation();
        }
      },
      true,
    );
    snapshot.parentNode.hidden = true; // the whole stored output, not just its wrapper
    frame.hidden = false;
    var steady = 0;
    var settle = window.setInterval(function () {
      steady = fit(frame) ? 0 : steady + 1;
      if (steady < 3) return;
      window.clearInterval(settle);
      panel.classList.add("matgrad-is-live");
      panel.querySelector(".matgrad-snapshot-label").hidden = true;
      say(panel, "Live: Python is running in your browser; every control recomputes.");
      var keep = window.setInterval(function () {
        if (frame.isConnected) fit(frame);
        else window.clearInterval(keep);
      }, 500);
    }, 100);
  }

  function start(panel, button, snapshot) {
    var limit = Number(panel.dataset.startLimitMs);
    var frame = document.createElement("iframe");
    frame.className = "matgrad-live-frame";
    frame.title = "Live widget: Python running in this browser";
    frame.src = panel.dataset.repl;
    // As tall as the snapshot plus the REPL's toolbar and prompt; hidden until it is live.
    frame.style.height = Math.max(snapshot.offsetHeight + 260, 480) + "px";
    frame.hidden = true;
    panel.appendChild(frame);
    var started = Date.now();
    var shown = null;
    var timer = window.setInterval(function () {
      var seen = inspect(frame);
      if (seen.stage && seen.stage !== shown) {
        shown = seen.stage;
        say(panel, shown + " The snapshot below is still the saved state.");
      }
      if (seen.live) {
        window.clearInterval(timer);
        reveal(panel, frame, snapshot);
      } else if (seen.error) {
        window.clearInterval(timer);
        frame.hidden = false; // the reader can see the error in full
        say(panel, "The live widget stopped with an error: " + seen.error +
          ". Reload the page to try again; the snapshot below is the saved state.", true);
      } else if (Date.now() - started > limit) {
        window.clearInterval(timer);
        frame.remove();
        button.disabled = false;
        say(panel, "Python did not start within " + Math.round(limit / 1000) + " seconds " +
          "(the runtime may have failed to load, or the device is short of memory). " +
          "Try again, or use the chapter's “Run live” link; the snapshot stays as saved.", true);
      }
    }, POLL_MS);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".matgrad-go-live");
    if (button) {
      goLive(button.closest(".matgrad-live-widget"), button);
      return;
    }
    var link = event.target.closest("a.matgrad-run-live");
    if (link && !hasWebAssembly()) {
      event.preventDefault();
      var note = link.parentNode.querySelector("span");
      note.textContent = NO_WASM;
      note.classList.add("matgrad-live-error");
    }
  });
})();
