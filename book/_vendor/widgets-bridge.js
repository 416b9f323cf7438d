/* Glue between the vendored widget manager and this site; loaded before embed-amd.js
 * (both after the page's first paint, by live-widgets.js).
 *
 * 1. RequireJS names the widget modules (@jupyter-widgets/base, controls, output), and the
 *    manager derives the folder of its icon fonts from the URL RequireJS gives a module.
 *    Pointing those names at the vendored bundle makes the fonts load from it, not from
 *    paths relative to each page (which do not exist).
 * 2. ipywidgets typesets maths in labels with MathJax 2's MathJax.Hub.Queue; this site runs
 *    MathJax 3, which has no Hub. A small Hub that forwards to MathJax 3 avoids the error.
 */
(function () {
  "use strict";
  var here = document.currentScript ? document.currentScript.src : document.baseURI;
  var bundle = new URL("html-manager/dist/embed-amd", here).href;
  var dist = new URL("html-manager/dist", here).href;
  if (window.require && window.require.config) {
    window.require.config({
      paths: {
        // The manager's modules find their icon fonts (Play, icon buttons) in the folder of
        // the URL RequireJS gives them: both must resolve inside the vendored dist/.
        "@jupyter-widgets/html-manager": bundle,
        "@jupyter-widgets/html-manager/dist": dist,
        "@jupyter-widgets/base": bundle,
        "@jupyter-widgets/controls": bundle,
        "@jupyter-widgets/output": bundle,
      },
    });
  }

  function typeset(element) {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise && mathjax.typesetPromise) {
      mathjax.startup.promise.then(function () {
        return mathjax.typesetPromise(element ? [element] : undefined);
      });
    }
  }

  function installHub() {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.version && !mathjax.Hub) {
      mathjax.Hub = {
        Queue: function () {
          for (var i = 0; i < arguments.length; i++) {
            var job = arguments[i];
            if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
          }
        },
      };
    }
  }

  // MathJax 3 is a deferred script: it exists by DOMContentLoaded, before widgets render.
  // live-widgets.js loads this file after the page's first paint, when that has passed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", installHub);
  } else {
    installHub();
  }
  window.addEventListener("load", installHub);
})();
