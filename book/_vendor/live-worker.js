/* The Python of a page's live widgets: Pyodide 0.27.7 in a Web Worker (live-widgets.js starts
 * one per page, shared by every widget on it).
 *
 * No kernel and no package resolution: the worker loads the runtime files that the build
 * listed in _static/live-runtime.json (book/_ext/live_notebooks.py: Pyodide's core, the
 * wheels of numpy, matplotlib and traitlets from the site's runtime, and the site's own wheels
 * of matgrad, ipywidgets and comm), each checked against the sha256 the build recorded, then
 * live_bridge.py, which connects ipywidgets' comms to the page's widget manager.
 *
 * Every runtime file is fetched here, by this worker's own fetch, so that the page can show
 * the bytes received of the total while it downloads, name the file that failed, and keep
 * each file whole in the Cache API (a retry, or another page of the site, reuses it whatever
 * the host's caching headers say). Pyodide's own requests for those files are answered from
 * what this worker fetched.
 *
 * Messages from the page: {type: "start", manifest}, {type: "retry"}, {type: "run", id, code},
 * {type: "comm_msg", comm_id, text, buffers, msg_id}. To the page: {type: "progress", ...},
 * {type: "ready"}, {type: "comm", text, buffers}, {type: "idle", msg_id},
 * {type: "ran", id, model_id}, {type: "failed", id?, reason}, {type: "kept", bytes} (the
 * warm start is stored).
 */
"use strict";

var plainFetch = self.fetch.bind(self);
var files = {}; // absolute URL -> {name, size, sha256, received, bytes: Promise<Uint8Array>}
var total = 0;
var received = 0;
var stage = "downloading";
var store = null; // the Cache API's cache of this build's runtime files, if the browser has one
var pyodide = null;
var ready = null;
var lastReport = 0;
var failed = false;
var manifestURL = null;
var started_with = null; // the manifest and its URL, for a retry
var warmKey = null; // where this build's warm start is kept in the cache
var warmSaved = false;

// After the first widget has run, what this start compiled is kept for the next one (once).
function saveWarmStart(bridge) {
  if (warmSaved || !store) return;
  warmSaved = true;
  self.setTimeout(function () {
    try {
      var data = bridge.save_warm_start();
      var bytes = data.toJs();
      data.destroy();
    } catch (error) {
      return; // the next start compiles again: slower, not wrong
    }
    store.put(warmKey, new Response(bytes)).then(
      function () {
        self.postMessage({ type: "kept", bytes: bytes.length });
      },
      function () {},
    );
  }, 0);
}

function report(force) {
  var now = Date.now();
  if (!force && now - lastReport < 100) return;
  lastReport = now;
  var active = [];
  for (var url in files) {
    var file = files[url];
    if (file.started && file.received < file.size) active.push(file.name);
  }
  self.postMessage({
    type: "progress",
    stage: stage,
    received: received,
    total: total,
    files: active,
    timeline: timeline,
  });
}

var started = performance.now();
var timeline = []; // [stage, ms since the worker started]: what the benchmark reads

function setStage(name) {
  stage = name;
  timeline.push([name, Math.round(performance.now() - started)]);
  report(true);
}

function fail(reason) {
  if (failed) return;
  failed = true;
  // Before Python has started, the page may ask this worker to try again ("retry"): what
  // has arrived is kept, only what failed is asked for again.
  self.postMessage({ type: "failed", reason: reason, retryable: !pyodide });
}

function hex(buffer) {
  return Array.prototype.map
    .call(new Uint8Array(buffer), function (byte) {
      return byte.toString(16).padStart(2, "0");
    })
    .join("");
}

// Read a response's body, counting each chunk into the page's progress.
async function readCounted(file, response) {
  var bytes = new Uint8Array(file.size);
  var length = 0;
  var reader = response.body.getReader();
  for (;;) {
    var chunk = await reader.read();
    if (chunk.done) break;
    if (length + chunk.value.length > bytes.length) {
      var grown = new Uint8Array(Math.max(bytes.length * 2, length + chunk.value.length));
      grown.set(bytes.subarray(0, length));
      bytes = grown;
    }
    bytes.set(chunk.value, length);
    length += chunk.value.length;
    file.received += chunk.value.length;
    received += chunk.value.length;
    if (received === total) timeline.push(["downloaded", Math.round(performance.now() - started)]);
    report(received === total);
  }
  return bytes.subarray(0, length);
}

// One runtime file: from this build's cache if it is there, else from the site; checked
// against its recorded sha256 either way.
function load(url) {
  var file = files[url];
  if (!file.bytes) {
    file.started = true;
    file.bytes = (async function () {
      var cached = store ? await store.match(url).catch(function () {}) : null;
      var response = cached;
      if (!response) {
        try {
          response = await plainFetch(url, { credentials: "same-origin" });
        } catch (error) {
          throw new Error(file.name + " (no answer from the site)");
        }
        if (!response.ok) throw new Error(file.name + " (HTTP " + response.status + ")");
      }
      var bytes = await readCounted(file, response);
      var digest = hex(await crypto.subtle.digest("SHA-256", bytes));
      if (digest !== file.sha256) {
        if (cached) await store.delete(url);
        throw new Error(file.name + " (not the file this site was built with)");
      }
      if (!cached && store) {
        var type = response.headers.get("Content-Type") || "application/octet-stream";
        // A full private window or storage quota only means no reuse next time.
        store.put(url, new Response(bytes, { headers: { "Content-Type": type } })).catch(
          function () {},
        );
      }
      return bytes;
    })();
    file.bytes.catch(function (error) {
      received -= file.received; // a retry asks for the whole file again
      file.received = 0;
      file.bytes = null;
      fail("could not be loaded: " + error.message);
    });
  }
  return file.bytes;
}

// Pyodide fetches the files it needs (its wasm, standard library, lock and wheels) with the
// global fetch (Pyodide 0.27.7's loadBinaryFile and loadPackage): a runtime file is answered
// with the checked bytes above; anything else goes to the network as it would.
self.fetch = function (input, init) {
  // Pyodide passes URL objects (loadBinaryFile), strings or Requests.
  var url = new URL(input instanceof Request ? input.url : String(input), self.location.href)
    .href;
  if (!files[url]) return plainFetch(input, init);
  return load(url).then(function (bytes) {
    var wasm = /\.wasm$/.test(url);
    return new Response(bytes, {
      status: 200,
      headers: { "Content-Type": wasm ? "application/wasm" : "application/octet-stream" },
    });
  });
};

async function openStore(manifest) {
  if (!self.caches) return null;
  try {
    var names = await caches.keys();
    for (var i = 0; i < names.length; i++) {
      // Files of an older build of the site: never used again.
      if (names[i].indexOf("matgrad-live-") === 0 && names[i] !== manifest.cache) {
        await caches.delete(names[i]);
      }
    }
    return await caches.open(manifest.cache);
  } catch (error) {
    return null; // storage switched off: every start downloads (or uses the HTTP cache)
  }
}

function pythonError(error) {
  // A Python exception's message is its traceback; its last line says what happened.
  var lines = String((error && error.message) || error).trim().split("\n");
  return lines[lines.length - 1];
}

async function start(manifest, base) {
  store = await openStore(manifest);
  Object.keys(manifest.files).forEach(function (path) {
    var entry = manifest.files[path];
    if (files[new URL(path, base).href]) return; // a retry: known already
    var url = new URL(path, base).href;
    files[url] = {
      name: path.split("/").pop(),
      size: entry.size,
      sha256: entry.sha256,
      received: 0,
    };
    total += entry.size;
  });
  var runtime = new URL(manifest.runtime, base).href;
  // Everything at once, the core first: downloading overlaps Python's start.
  Object.keys(files).forEach(load);
  report(true);
  var core = await load(new URL("pyodide.asm.js", runtime).href);
  // pyodide.js loads pyodide.asm.js itself only when _createPyodideModule is not defined
  // yet (Pyodide 0.27.7): defining it from the checked bytes spares a second download.
  importScripts(new URL("pyodide.js", runtime).href);
  importScripts(URL.createObjectURL(new Blob([core], { type: "text/javascript" })));
  if (failed) return null; // a missing file: the other downloads go on, Python does not start
  setStage("starting");
  var stderr = [];
  pyodide = await loadPyodide({
    indexURL: runtime,
    stdout: function () {},
    stderr: function (line) {
      stderr.push(line);
    },
  });
  if (failed) return null;
  setStage("unpacking");
  var wheels = manifest.wheels.map(function (path) {
    return new URL(path, base).href;
  });
  await pyodide.loadPackage(manifest.packages.concat(wheels), {
    messageCallback: function () {},
    errorCallback: function (message) {
      stderr.push(message);
    },
  });
  var bridge = await load(new URL(manifest.bridge, base).href);
  pyodide.FS.writeFile("/home/pyodide/live_bridge.py", bridge);
  setStage("importing live_bridge");
  var bridgeModule = pyodide.pyimport("live_bridge");
  // The bytecode and font list an earlier start in this browser kept (live_bridge.py's
  // save_warm_start), if any: then the imports below compile nothing.
  warmKey = new URL("live-warm-start.zip", base).href;
  var warm = store ? await store.match(warmKey).catch(function () {}) : null;
  if (warm) {
    setStage("restoring");
    pyodide.FS.writeFile("/tmp/warm-start.zip", new Uint8Array(await warm.arrayBuffer()));
    bridgeModule.restore_warm_start("/tmp/warm-start.zip");
  }
  warmSaved = Boolean(warm);
  // Each import is a step of its own, so that the page sees the start move.
  var imports = ["numpy", "matplotlib", "ipywidgets"].concat(manifest.imports);
  for (var i = 0; i < imports.length; i++) {
    setStage("importing " + imports[i]);
    pyodide.runPython("import " + imports[i]);
  }
  bridgeModule.post = function (text, buffers) {
    // Pyodide destroys the proxy of the list when this returns; its bytes are copied out.
    var list = buffers.toJs();
    var copies = list.map(function (buffer) {
      return buffer.slice().buffer;
    });
    self.postMessage({ type: "comm", text: text, buffers: copies }, copies);
  };
  setStage("ready");
  self.postMessage({ type: "ready" });
  return bridgeModule;
}

// The list of files (asked for afresh, revalidated: it names this build's files), then start.
function begin(manifestURL) {
  return plainFetch(manifestURL, { cache: "no-cache" })
    .then(
      function (reply) {
        if (!reply.ok) throw new Error("live-runtime.json (HTTP " + reply.status + ")");
        return reply.json();
      },
      function () {
        throw new Error("live-runtime.json (no answer from the site)");
      },
    )
    .then(
      function (manifest) {
        started_with = { manifest: manifest, base: manifestURL };
        return start(manifest, manifestURL);
      },
      function (error) {
        fail("could not be loaded: " + error.message);
        throw error;
      },
    );
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "start" || message.type === "retry") {
    if (message.type === "start") manifestURL = message.manifest;
    failed = false;
    var before = ready || Promise.resolve();
    ready = before
      .catch(function () {})
      .then(function () {
        return started_with ? start(started_with.manifest, started_with.base) : begin(manifestURL);
      });
    ready.catch(function (error) {
      fail("stopped while " + stage + ": " + pythonError(error));
    });
  } else if (message.type === "run") {
    ready.then(function (bridge) {
      if (!bridge) return; // the start failed, and the page was told
      try {
        var modelId = bridge.run_cell(message.code);
        self.postMessage({ type: "ran", id: message.id, model_id: modelId });
        saveWarmStart(bridge);
      } catch (error) {
        self.postMessage({ type: "failed", id: message.id, reason: pythonError(error) });
      }
    });
  } else if (message.type === "comm_msg") {
    ready.then(function (bridge) {
      if (!bridge) return;
      try {
        var buffers = message.buffers.map(function (buffer) {
          return new Uint8Array(buffer);
        });
        bridge.deliver(message.comm_id, message.text, buffers, message.msg_id);
      } catch (error) {
        self.postMessage({ type: "failed", reason: pythonError(error) });
      }
      self.postMessage({ type: "idle", msg_id: message.msg_id });
    });
  }
};
