// On a phone, the logged-in menu starts folded under its « Menu » button, so
// that the page itself is on the first screen. Without this file the menu is
// simply open, in the page's flow (a <details open>): nothing covers the page,
// and the coordination's groups (<details> too) open with a tap. With it: the
// open menu drops over the page, one group is open at a time, a tap elsewhere
// or Escape folds them, and the link of the current page is marked.
(function () {
  "use strict";
  var menu = document.querySelector("[data-site-menu]");
  if (!menu || !window.matchMedia) {
    return;
  }
  var header = menu.closest(".site-header") || document.body;
  header.classList.add("is-enhanced");
  var groups = Array.prototype.slice.call(menu.querySelectorAll("[data-nav-group]"));
  var current = null;
  menu.querySelectorAll(".nav-links a[href]").forEach(function (link) {
    if (link.pathname === window.location.pathname) {
      link.setAttribute("aria-current", "page");
      current = current || link.closest("[data-nav-group]");
    }
  });
  // The coordination's four groups fit on one row from 1200 px, the shorter menus from 992 px.
  var narrow = window.matchMedia(groups.length ? "(max-width: 1199.98px)" : "(max-width: 991.98px)");
  function fit() {
    header.classList.toggle("is-folding", narrow.matches);
    menu.open = !narrow.matches;
    groups.forEach(function (group) {
      // On a phone, the group of the page (or « Aujourd'hui ») is open when « Menu » is tapped.
      group.open = narrow.matches && group === (current || groups[0]);
    });
  }
  fit();
  if (narrow.addEventListener) {
    narrow.addEventListener("change", fit);
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (group.open && !narrow.matches) {
        groups.forEach(function (other) {
          if (other !== group) {
            other.open = false;
          }
        });
      }
    });
  });
  function foldGroups() {
    if (!narrow.matches) {
      groups.forEach(function (group) { group.open = false; });
    }
  }
  document.addEventListener("click", function (event) {
    if (!menu.contains(event.target)) {
      foldGroups();
      if (narrow.matches) {
        menu.open = false;
      }
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = groups.filter(function (group) { return group.open; })[0];
      foldGroups();
      if (narrow.matches && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      } else if (open) {
        open.querySelector("summary").focus();
      }
    }
  });
})();
