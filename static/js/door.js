// The door desk, a little smoother: filter the guest list as the name is typed.
// Everything works without this file (the filter box is a plain GET form).
(function () {
  "use strict";
  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  var box = document.querySelector("[data-door-filter]");
  var list = document.querySelector("[data-door-list]");
  if (box && list) {
    box.addEventListener("input", function () {
      var wanted = fold(box.value);
      list.querySelectorAll("li[data-name]").forEach(function (row) {
        if (!wanted || fold(row.getAttribute("data-name")).indexOf(wanted) !== -1) {
          row.removeAttribute("data-door-hidden");
        } else {
          row.setAttribute("data-door-hidden", "");
        }
      });
    });
  }
  // A browser skips autofocus when the address names a place in the page (#participation after a
  // check-in): focus the amount anyway, without moving the page away from that place.
  var wanted = document.querySelector("[autofocus]");
  if (wanted && location.hash) {
    window.addEventListener("load", function () {
      if (document.activeElement === document.body) {
        wanted.focus({ preventScroll: true });
      }
    });
  }
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
