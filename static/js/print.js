// « Imprimer cette page »: the button needs JavaScript, so it is hidden until this file shows it.
// Without it the browser's own Print gives the same page (the print stylesheet in cantine.css).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
