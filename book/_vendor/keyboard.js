/* Keep the keyboard's focus on the theme's colour-mode switch.
 *
 * sphinx-book-theme blurs the switch after every click, so that a mouse user sees no focus
 * ring; a keyboard reader then loses their place, and must Tab from the top of the page to
 * press it again. A click whose `detail` is 0 came from the keyboard (Enter or Space), so the
 * focus goes back to the switch. tests/test_screens.py presses it three times in a row.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll(".theme-switch-button").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (event.detail === 0) button.focus();
    });
  });
});
