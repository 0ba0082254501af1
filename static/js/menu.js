// On a phone, the logged-in menu starts folded under its « Menu » button, so
// that the page itself is on the first screen. Without this file the menu is
// simply open (a <details open>), and a wide screen always shows it.
(function () {
  "use strict";
  var menu = document.querySelector("[data-site-menu]");
  if (!menu || !window.matchMedia) {
    return;
  }
  var narrow = window.matchMedia("(max-width: 991.98px)");
  function fit() {
    menu.open = !narrow.matches;
  }
  fit();
  if (narrow.addEventListener) {
    narrow.addEventListener("change", fit);
  }
})();
