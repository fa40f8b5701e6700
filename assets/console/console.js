// nghedan staff console: small improvements only; every page works without this script.
(function () {
  "use strict";
  // Filters apply as soon as a choice changes.
  document.querySelectorAll("form.filters select, form.filters input[type=checkbox]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); });
  });
  // A form is sent once: a double click does not take an action twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  // The receipt page offers to print.
  var print = document.getElementById("print-receipt");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
