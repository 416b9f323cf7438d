/* Keyboard fixes for what the theme does not cover.
 *
 * The colour-mode switch keeps the keyboard's focus: sphinx-book-theme blurs the switch after
 * every click, so that a mouse user sees no focus ring; a keyboard reader then loses their
 * place, and must Tab from the top of the page to press it again. A click whose `detail` is 0 came from the keyboard (Enter or Space), so the
 * focus goes back to the switch. tests/test_screens.py presses it three times in a row.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll(".theme-switch-button").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (event.detail === 0) button.focus();
    });
  });
  // A wide diagram scrolls in its own box on a phone (matgrad.css, tag wide-figure): a tab
  // stop lets the keyboard scroll it too, named by what the diagram shows.
  document.querySelectorAll(".tag_wide-figure .cell_output").forEach(function (box) {
    var image = box.querySelector("img");
    function stop() {
      var scrolls = box.scrollWidth > box.clientWidth;
      box.tabIndex = scrolls ? 0 : -1;
      if (scrolls && image) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "Scrollable figure");
      } else {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
    stop();
    window.addEventListener("resize", stop);
    if (image) image.addEventListener("load", stop);
  });
  // A table in a widget's text scrolls in its own box when wider than the column
  // (matgrad.css): a tab stop lets the keyboard scroll it. A live widget writes its text anew
  // on every change, so the stops follow the page's changes (once per frame), as well as the
  // fonts and the window's size.
  var article = document.querySelector(".bd-article");
  if (article && window.MutationObserver) {
    var tableStops = function () {
      article.querySelectorAll(".widget-html-content table").forEach(function (table) {
        var scrolls = table.scrollWidth > table.clientWidth;
        if (scrolls !== (table.tabIndex === 0)) table.tabIndex = scrolls ? 0 : -1;
      });
    };
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        tableStops();
      });
    }).observe(article, { childList: true, subtree: true });
    document.fonts.ready.then(tableStops);
    window.addEventListener("resize", tableStops);
  }
  // Formulas are not tab stops (_config.yml's mathjax3_config), but a display formula wider
  // than the column scrolls in its own box: like a wide code block, it keeps a tab stop so
  // that the keyboard can scroll it. Only the stops given here are taken back, so a reader
  // who puts formulas in the tab order from MathJax's menu keeps them all.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    var formulaStops = function () {
      document.querySelectorAll('mjx-container[display="true"]').forEach(function (math) {
        if (math.scrollWidth > math.clientWidth) {
          if (math.tabIndex < 0) {
            math.tabIndex = 0;
            math.dataset.matgradScrollStop = "";
          }
        } else if ("matgradScrollStop" in math.dataset) {
          math.removeAttribute("tabindex");
          delete math.dataset.matgradScrollStop;
        }
      });
    };
    MathJax.startup.promise.then(function () {
      formulaStops();
      window.addEventListener("resize", formulaStops);
    });
  }
});
