// A refused form comes back with its error summary first in the page: move the focus to it,
// so that a phone shows it and a screen reader reads it (GOV.UK's pattern). A link in the
// summary focuses its field and brings the field's label into view, not only the input.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.hash.slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    var group = field.closest("fieldset");
    var shown = (group && group.querySelector("legend")) || label || field;
    shown.scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
