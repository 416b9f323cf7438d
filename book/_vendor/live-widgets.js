/* Widgets on a static page: their snapshots, and the same widgets live, in place
 * (book/_ext/live_notebooks.py writes the markup this script drives).
 *
 * 1. The widget manager that draws the snapshots (RequireJS, widgets-bridge.js and the
 *    html-manager bundle, 3.6 MB) loads after the page's first paint, not before it: a page
 *    with widgets paints as soon as a page of text.
 * 2. "Make this widget live" runs the widget's cell in Python in this browser: Pyodide in a
 *    Web Worker (live-worker.js), one per page, shared by every widget on it, started on the
 *    first press or already when the reader points at or tabs to a button. ipywidgets' Python
 *    side talks to a widget manager of this page (the html-manager bundle's HTMLManager, with
 *    comms that go to the worker), which draws the live widget where the snapshot was.
 *
 * The wait is told as it is: while Python downloads, the bytes received of the total and the
 * time since the press; then each stage. The time limit (data-start-limit-ms) counts from
 * the last sign of progress, so a slow connection that is still downloading is never called
 * dead. Every failure says what stopped, and where; the snapshot stays on show, marked as a
 * snapshot, until the live widget has been drawn. The same WebAssembly check guards the
 * "Run live" link of each chapter.
 */
(function () {
  "use strict";
  var STATIC = new URL(".", document.currentScript.src).href; // this site's _static/
  var WIDGET_STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
  // What myst-nb would have loaded in the page's head (_config.yml's nb_ipywidgets_js), in
  // order: live_notebooks.py takes it out of the head, and it loads here after first paint.
  var MANAGER_FILES = [
    "requirejs/require.js",
    "widgets-bridge.js",
    "html-manager/dist/embed-amd.js",
  ];
  var MB = 1e6;
  var NO_WASM =
    "This browser cannot run Python here: it has no WebAssembly (or it is switched off). " +
    "A current Chrome, Firefox, Safari or Edge runs the live book; this page and its " +
    "snapshots stay as they were saved.";
  var STILL_SAVED = " The snapshot below is still the saved state.";
  var STAGES = {
    downloading: "Downloading Python and the widget's packages…",
    starting: "Starting Python in your browser (Pyodide)…",
    unpacking: "Unpacking numpy, matplotlib and the widget's packages…",
    importing: "Importing the widget's modules…",
    restoring: "Restoring what an earlier start compiled…",
    ready: "Running the widget's cell…",
  };

  function hasWebAssembly() {
    return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  }

  // 1. The widget manager, after first paint (a frame, then a task after it).

  var managerFiles = null;
  function loadManagerFiles() {
    if (!managerFiles) {
      managerFiles = new Promise(function (resolve, reject) {
        var left = MANAGER_FILES.length;
        MANAGER_FILES.forEach(function (name) {
          var script = document.createElement("script");
          script.src = STATIC + name;
          script.async = false; // run in the order above, whenever each arrives
          script.onload = function () {
            if (--left === 0) resolve();
          };
          script.onerror = function () {
            reject(new Error(name + " could not be loaded"));
          };
          document.head.appendChild(script);
        });
      });
    }
    return managerFiles;
  }
  if (document.querySelector(WIDGET_STATE)) {
    window.requestAnimationFrame(function () {
      window.setTimeout(loadManagerFiles, 0);
    });
  }

  // 2. The page's Python: one worker, one widget manager for its live widgets.

  function say(panel, text, isError) {
    var status = panel.querySelector(".matgrad-live-status");
    status.textContent = text;
    status.classList.toggle("matgrad-live-error", Boolean(isError));
  }

  function showProgress(panel, text) {
    panel.querySelector(".matgrad-live-progress").textContent = text;
  }

  function megabytes(bytes) {
    return (bytes / MB).toFixed(1);
  }

  // "numpy-2.0.2-cp312-….whl" -> "numpy"; a core file keeps its name.
  function packageName(file) {
    return /\.whl$/.test(file) ? file.split("-")[0] : file;
  }

  // One comm of the page's widget manager, whose other end is a Python comm in the worker
  // (live_bridge.PageComm). The manager calls what @jupyter-widgets/base 6 (ipywidgets 8.1)
  // calls on a comm: send, on_msg, on_close, close; messages are shaped like a kernel's.
  function PageComm(runtime, id, targetName) {
    this.comm_id = id;
    this.target_name = targetName;
    this._runtime = runtime;
    this._onMsg = null;
    this._onClose = null;
    this._early = []; // messages that came before the model listened
  }
  PageComm.prototype.open = function () {
    return ""; // opened by Python already
  };
  PageComm.prototype.send = function (data, callbacks, metadata, buffers) {
    return this._runtime.send(this.comm_id, data, callbacks, buffers);
  };
  PageComm.prototype.close = function () {
    return "";
  };
  PageComm.prototype.on_msg = function (callback) {
    this._onMsg = callback;
    var early = this._early.splice(0);
    for (var i = 0; i < early.length; i++) callback(early[i]);
  };
  PageComm.prototype.on_close = function (callback) {
    this._onClose = callback;
  };
  PageComm.prototype.deliver = function (message) {
    if (this._onMsg) this._onMsg(message);
    else this._early.push(message);
  };

  function Runtime() {
    var self = this;
    this.startedAt = Date.now(); // about when the worker's clock starts
    this.lastProgressAt = this.startedAt;
    this.progress = { stage: "downloading", received: 0, total: 0, files: [] };
    this.failure = null;
    this.comms = {};
    this.callbacks = {}; // msg_id -> {callbacks, update}, until Python has handled it
    this.updatesInFlight = 0; // widget state updates sent and not yet handled by Python
    this.heldCustom = []; // custom messages waiting for those updates
    this.runs = {};
    this.counter = 0;
    this.panels = []; // panels waiting for this runtime
    this.chain = Promise.resolve(); // widget messages, handled one after the other
    this.manager = loadManagerFiles()
      .then(function () {
        return new Promise(function (resolve, reject) {
          window.require(["@jupyter-widgets/html-manager"], resolve, reject);
        });
      })
      .then(function (htmlManager) {
        return new htmlManager.HTMLManager({});
      });
    this.manager.catch(function (error) {
      self.fail("the widget manager could not be loaded: " + error.message);
    });
    try {
      this.worker = new Worker(STATIC + "live-worker.js");
    } catch (error) {
      this.worker = null;
      this.failure = "this browser could not start a worker for Python (" + error.message + ")";
      return;
    }
    this.worker.onmessage = function (event) {
      self.receive(event.data);
    };
    this.worker.onerror = function (event) {
      self.fail("Python's worker stopped: " + (event.message || "no reason given"));
    };
    this.worker.postMessage({ type: "start", manifest: STATIC + "live-runtime.json" });
  }

  Runtime.prototype.receive = function (message) {
    var self = this;
    if (message.type === "progress") {
      var before = this.progress;
      if (message.received !== before.received || message.stage !== before.stage) {
        this.lastProgressAt = Date.now();
      }
      this.progress = message;
      this.panels.forEach(function (panel) {
        self.tell(panel);
      });
    } else if (message.type === "comm") {
      var comm = JSON.parse(message.text);
      this.queue(function () {
        return self.fromPython(comm, message.buffers);
      });
    } else if (message.type === "idle") {
      this.queue(function () {
        var sent = self.callbacks[message.msg_id] || { callbacks: {} };
        delete self.callbacks[message.msg_id];
        var callbacks = sent.callbacks;
        if (callbacks.iopub && callbacks.iopub.status) {
          // Where a widget sends the newest state it held back (if any), through send.
          callbacks.iopub.status({
            content: { execution_state: "idle" },
            parent_header: { msg_id: message.msg_id },
          });
        }
        if (sent.update) self.updateHandled();
      });
    } else if (message.type === "ran" || (message.type === "failed" && message.id)) {
      var run = this.runs[message.id];
      delete this.runs[message.id];
      if (!run) return; // given up already: the start failed meanwhile
      this.queue(function () {
        if (message.type === "ran") run.resolve(message.model_id);
        else run.reject(new Error(message.reason));
      });
    } else if (message.type === "failed") {
      this.retryable = Boolean(message.retryable);
      this.fail(message.reason);
    } else if (message.type === "kept") {
      // The next start in this browser can reuse this one's bytecode (benchmarks wait for it).
      document.documentElement.dataset.matgradWarmStartKept = String(message.bytes);
    }
  };

  // Widget messages are handled in the order Python sent them, each after the one before
  // has been taken in (a model exists before the messages that use it).
  Runtime.prototype.queue = function (handle) {
    var self = this;
    this.chain = this.chain.then(handle).catch(function (error) {
      self.fail("the page could not draw the widget (" + error + ")");
    });
  };

  // A message of a Python comm (live_bridge.PageComm.publish_msg), as a kernel's would be.
  Runtime.prototype.fromPython = function (message, buffers) {
    var comm = this.comms[message.comm_id];
    var kernelMessage = {
      header: { msg_type: message.msg_type },
      parent_header: message.parent ? { msg_id: message.parent } : {},
      metadata: message.metadata,
      content: { comm_id: message.comm_id, data: message.data },
      buffers: buffers,
    };
    if (message.msg_type === "comm_open") {
      if (message.target_name !== "jupyter.widget") return null;
      comm = new PageComm(this, message.comm_id, message.target_name);
      this.comms[message.comm_id] = comm;
      kernelMessage.content.target_name = message.target_name;
      return this.manager.then(function (manager) {
        return manager.handle_comm_open(comm, kernelMessage);
      });
    }
    if (!comm) return null;
    if (message.msg_type === "comm_msg") {
      comm.deliver(kernelMessage);
    } else if (message.msg_type === "comm_close") {
      delete this.comms[message.comm_id];
      if (comm._onClose) comm._onClose(kernelMessage);
    }
    return null;
  };

  // A message of the page's widget manager to a Python comm. The returned id is the
  // message's: an echo_update from Python names it as its parent. The callbacks' "idle"
  // comes when Python has handled the message.
  //
  // @jupyter-widgets/base 6 (ipywidgets 8.1) sends a widget's state one update at a time:
  // while Python has not handled the last, it keeps only the newest state, and sends it from
  // that update's "idle" callback. Its custom messages (a Text's submit on Enter, a Button's
  // click) go at once. So Enter pressed right after typing reached Python before the typed
  // text did: the answer box graded what the text had been, and the text's late update then
  // cleared that verdict (its Check button, another widget, raced the same way). A custom
  // message therefore waits here until every update sent, a held-back one included, has been
  // handled: Python meets the reader's actions in the order they were made.
  Runtime.prototype.send = function (commId, data, callbacks, buffers) {
    var id = "page-" + ++this.counter;
    var copies = (buffers || []).map(function (buffer) {
      if (buffer instanceof ArrayBuffer) return buffer.slice(0);
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    });
    var message = { id: id, commId: commId, data: data, callbacks: callbacks, copies: copies };
    var custom = Boolean(data) && data.method === "custom";
    if (custom && this.updatesInFlight > 0) {
      this.heldCustom.push(message);
    } else {
      this.post(message, !custom);
    }
    return id;
  };

  Runtime.prototype.post = function (message, update) {
    this.callbacks[message.id] = { callbacks: message.callbacks || {}, update: update };
    if (update) this.updatesInFlight += 1;
    this.worker.postMessage(
      {
        type: "comm_msg",
        comm_id: message.commId,
        text: JSON.stringify(message.data),
        buffers: message.copies,
        msg_id: message.id,
      },
      message.copies,
    );
  };

  // An update was handled (its "idle" callbacks have run, and sent any state they held
  // back): once none is in flight, the held custom messages go, in order.
  Runtime.prototype.updateHandled = function () {
    this.updatesInFlight -= 1;
    if (this.updatesInFlight > 0) return;
    var held = this.heldCustom.splice(0);
    for (var i = 0; i < held.length; i++) this.post(held[i], false);
  };

  Runtime.prototype.run = function (code) {
    var self = this;
    var id = "run-" + ++this.counter;
    var done = new Promise(function (resolve, reject) {
      self.runs[id] = { resolve: resolve, reject: reject };
    });
    this.worker.postMessage({ type: "run", id: id, code: code });
    return done;
  };

  // Where the start is, in words: what is downloading, or the stage.
  Runtime.prototype.where = function () {
    var progress = this.progress;
    if (progress.total && progress.received < progress.total) {
      var names = progress.files.map(packageName);
      return (
        "downloading " +
        (names.length ? names.slice(0, 3).join(", ") : "Python") +
        ", " +
        megabytes(progress.received) +
        " of " +
        megabytes(progress.total) +
        " MB"
      );
    }
    var words = {
      downloading: "asking the site for Python",
      starting: "starting Python",
      unpacking: "unpacking the packages",
      restoring: "restoring an earlier start's bytecode",
      ready: "running the widget's cell",
    };
    return words[progress.stage] || progress.stage; // "importing matplotlib"
  };

  Runtime.prototype.tell = function (panel) {
    if (this.failure) return;
    var progress = this.progress;
    var stage = progress.stage.split(" ")[0];
    var downloading = progress.total && progress.received < progress.total;
    var sentence = STAGES[stage] || STAGES.starting;
    if (stage === "importing") sentence = "Importing " + progress.stage.slice(10) + "…";
    if (panel.dataset.said !== sentence) {
      panel.dataset.said = sentence; // the status is a live region: said once per stage
      say(panel, sentence + STILL_SAVED);
    }
    var seconds = Math.round((Date.now() - Number(panel.dataset.pressedAt)) / 1000);
    // Python starts while the last packages still arrive: their bytes, as long as they do.
    var bytes = downloading
      ? megabytes(progress.received) + " of " + megabytes(progress.total) + " MB · "
      : "";
    showProgress(panel, bytes + seconds + " s");
  };

  Runtime.prototype.fail = function (reason) {
    if (this.failure) return;
    this.failure = reason;
    if (this.worker && this.retryable) {
      // A file that could not be had, before Python started: the worker keeps what has
      // arrived (and goes on downloading the rest); the next press asks it to try again.
      lingering = this;
    } else if (this.worker) {
      this.worker.terminate();
    }
    if (runtime === this) runtime = null; // the next press starts afresh
    var runs = this.runs;
    Object.keys(runs).forEach(function (id) {
      runs[id].reject(new Error(reason));
    });
    this.panels.forEach(function (panel) {
      failed(panel, reason);
    });
    this.panels = [];
  };

  var runtime = null;
  var lingering = null; // a start that failed for a missing file, and can try again
  function pageRuntime() {
    if (!runtime && lingering) {
      runtime = lingering;
      lingering = null;
      runtime.failure = null;
      runtime.retryable = false;
      runtime.lastProgressAt = Date.now();
      runtime.worker.postMessage({ type: "retry" });
    }
    if (!runtime) runtime = new Runtime();
    return runtime;
  }

  // 3. The panels.

  function failed(panel, reason) {
    window.clearInterval(Number(panel.dataset.timer));
    delete panel.dataset.said;
    panel.querySelector(".matgrad-go-live").disabled = false;
    showProgress(panel, "");
    var missing = /^could not be loaded: /.test(reason);
    say(
      panel,
      missing
        ? "The Python runtime " + reason + ". Reload the page to try again; if it persists, " +
            "the site was published without its runtime. The snapshot below is the saved state."
        : "The live widget stopped: " + reason + ". Press the button to try again (what has " +
            "been downloaded is kept), or use the chapter's “Run live” link; the snapshot " +
            "below is the saved state.",
      true,
    );
  }

  // ipywidgets 8 draws a slider's handle as noUiSlider's <div role="slider"> with no name
  // (its description is a <label> that names nothing), so a screen reader would announce a
  // bare value. Each handle is named by its slider's label, also when the widget redraws.
  function nameSliders(box) {
    function name() {
      var handles = box.querySelectorAll(".widget-slider [role='slider']:not([aria-label])");
      for (var i = 0; i < handles.length; i++) {
        var label = handles[i].closest(".widget-slider").querySelector(".widget-label");
        var text = label ? label.textContent.trim() : "";
        if (text) handles[i].setAttribute("aria-label", text);
      }
    }
    name();
    new MutationObserver(name).observe(box, { childList: true, subtree: true });
  }

  // The live widget goes where the snapshot was (in the same output, so it is styled as
  // the snapshot was); the snapshot is hidden in the same task, so the page never shows both.
  function reveal(panel, runtime, modelId) {
    var snapshot = panel.closest(".cell").querySelector(".matgrad-snapshot");
    return runtime.manager.then(function (manager) {
      return manager
        .get_model(modelId)
        .then(function (model) {
          return manager.create_view(model);
        })
        .then(function (view) {
          var box = document.createElement("div");
          box.className = "matgrad-live-output widget-subarea";
          box.tabIndex = -1; // where the keyboard is taken once the button is gone
          snapshot.parentNode.insertBefore(box, snapshot.nextSibling);
          return manager.display_view(view, box).then(function () {
            var hadFocus = panel.contains(document.activeElement);
            nameSliders(box);
            snapshot.hidden = true;
            panel.querySelector(".matgrad-snapshot-label").hidden = true;
            if (hadFocus) box.focus();
          });
        });
    });
  }

  function goLive(panel, button) {
    if (!hasWebAssembly()) {
      say(panel, NO_WASM, true);
      return;
    }
    var python = pageRuntime();
    if (python.failure) {
      runtime = null;
      failed(panel, python.failure);
      return;
    }
    button.disabled = true;
    panel.classList.remove("matgrad-pointed");
    panel.dataset.pressedAt = String(Date.now());
    python.panels.push(panel);
    python.tell(panel);
    var limit = Number(panel.dataset.startLimitMs);
    panel.dataset.timer = String(
      window.setInterval(function () {
        if (python.failure) return;
        python.tell(panel);
        // From the last progress, or from the press if Python was quiet before it (started
        // earlier on intent, or ready and waiting).
        var since = Math.max(python.lastProgressAt, Number(panel.dataset.pressedAt));
        var quiet = Date.now() - since;
        if (quiet > limit) {
          var seconds = Math.round((Date.now() - Number(panel.dataset.pressedAt)) / 1000);
          python.fail(
            "it stopped after " + seconds + " s while " + python.where() + ": nothing more " +
              "came for " + Math.round(limit / 1000) + " s (a slow or broken connection, or " +
              "a device short of memory)",
          );
        }
      }, 250),
    );
    var ranAt = null;
    python
      .run(panel.dataset.code)
      .then(function (modelId) {
        ranAt = Date.now();
        return reveal(panel, python, modelId);
      })
      .then(
        function () {
          window.clearInterval(Number(panel.dataset.timer));
          python.panels.splice(python.panels.indexOf(panel), 1);
          var pressed = Number(panel.dataset.pressedAt);
          var seconds = (Date.now() - pressed) / 1000;
          // When each stage began, in ms from the press (benchmarks/live_book.py reads it);
          // a stage before the press (a start on intent) is negative.
          var timeline = (python.progress.timeline || []).map(function (mark) {
            return [mark[0], python.startedAt + mark[1] - pressed];
          });
          timeline.push(["cell ran", ranAt - pressed], ["live", Date.now() - pressed]);
          panel.dataset.timeline = JSON.stringify(timeline);
          showProgress(panel, "");
          panel.classList.add("matgrad-is-live");
          say(
            panel,
            "Live: Python is running in your browser; every control recomputes (ready in " +
              seconds.toFixed(1) + " s).",
          );
        },
        function (error) {
          if (python.failure) return; // every waiting panel was told already
          python.panels.splice(python.panels.indexOf(panel), 1);
          failed(panel, "the widget's cell raised " + error.message);
        },
      );
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
      return;
    }
    var snapshot = snapshotControlAt(event);
    if (snapshot) pointAtButton(snapshot.closest(".cell").querySelector(".matgrad-live-widget"));
  });

  // A snapshot looks like the widget all the way down, and a click on one of its controls
  // (which its `inert` hands to the output around it) would change nothing, silently: it
  // points at the button instead, and says why. A click or tap elsewhere on it (its text, its
  // picture) leaves the page where it is: it asked for nothing.
  var SNAPSHOT_CONTROLS = "button, select, input, textarea, .slider-container";
  function snapshotControlAt(event) {
    var output = event.target.closest(".cell_output");
    var snapshot = output && output.querySelector(".matgrad-snapshot");
    if (!snapshot || snapshot.hidden) return null;
    var controls = snapshot.querySelectorAll(SNAPSHOT_CONTROLS);
    for (var i = 0; i < controls.length; i++) {
      var box = controls[i].getBoundingClientRect();
      if (
        event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom
      ) {
        return snapshot;
      }
    }
    return null;
  }

  var SNAPSHOT_CLICKED =
    "That was the snapshot: its controls do nothing until the widget is live. " +
    "Press “Make this widget live” to use them.";

  function pointAtButton(panel) {
    var button = panel.querySelector(".matgrad-go-live");
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    panel.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
    if (button.disabled) return; // Python is starting: the panel's progress says so
    button.focus({ preventScroll: true });
    panel.classList.add("matgrad-pointed");
    // A failure's reason stays: it says more than this would.
    var status = panel.querySelector(".matgrad-live-status");
    if (!status.classList.contains("matgrad-live-error")) say(panel, SNAPSHOT_CLICKED);
  }

  // Pointing at a button or tabbing to it is taken as intent: Python starts downloading and
  // starting then, so that the press finds it further along (nothing is shown until then).
  function prewarm(event) {
    var button = event.target.closest && event.target.closest(".matgrad-go-live");
    if (button && !button.disabled && hasWebAssembly()) pageRuntime();
  }
  document.addEventListener("pointerover", prewarm);
  document.addEventListener("focusin", prewarm);

  // A browser that holds this build's runtime and the warm start of an earlier live widget
  // (live-worker.js keeps both in the Cache API) downloads nothing to start Python: there a
  // widget coming into view is intent enough, and the start overlaps the reading. A reader
  // who never made a widget live is never sent 27 MB for scrolling past one. What was
  // decided is left on the page (data-matgrad-prewarm) for the tests.
  function warmInThisBrowser() {
    if (!window.caches) return Promise.resolve(false);
    return fetch(STATIC + "live-runtime.json")
      .then(function (reply) {
        return reply.json();
      })
      .then(function (manifest) {
        return caches.has(manifest.cache).then(function (has) {
          if (!has) return false;
          return caches.open(manifest.cache).then(function (store) {
            return store.match(STATIC + "live-warm-start.zip").then(Boolean);
          });
        });
      })
      .catch(function () {
        return false;
      });
  }
  var panels = document.querySelectorAll(".matgrad-live-widget");

  // A keyboard reader's way in: beside the theme's "Skip to main content" (the first tab
  // stop of every page), a skip link to the first widget's button, which otherwise lies
  // behind every link, code block and copy button above it (about 90 presses on the questions
  // page). A link, so that it also names where it goes; the press focuses the button itself.
  var skips = document.getElementById("pst-skip-link");
  if (skips && panels.length) {
    panels[0].id = panels[0].id || "matgrad-first-widget";
    var skip = document.createElement("a");
    skip.href = "#" + panels[0].id;
    skip.textContent =
      panels.length > 1
        ? "Skip to the first of " + panels.length + " widgets"
        : "Skip to the widget";
    skip.addEventListener("click", function (event) {
      var button = panels[0].querySelector(".matgrad-go-live");
      if (!button || !button.getClientRects().length) return; // live: the link's own jump
      event.preventDefault();
      button.focus(); // which brings it into view
    });
    skips.appendChild(document.createTextNode(" "));
    skips.appendChild(skip);
  }

  if (panels.length && hasWebAssembly() && window.IntersectionObserver) {
    var seen = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      seen.disconnect();
      warmInThisBrowser().then(function (warm) {
        document.documentElement.dataset.matgradPrewarm = warm ? "started" : "not cached";
        if (warm) pageRuntime();
      });
    });
    panels.forEach(function (panel) {
      seen.observe(panel);
    });
  }
})();
