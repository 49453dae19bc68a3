// Progressive enhancement only; every page works without it.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="text">
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!navigator.clipboard) { return; }
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        var status = document.getElementById(button.getAttribute("aria-describedby"));
        if (status) { status.textContent = button.getAttribute("data-copied-text") || "Copied"; }
      });
    });
  });
  // A rule's clause shows only the fields its kind reads; without this script both groups show, each headed.
  document.querySelectorAll("[data-clause]").forEach(function (clause) {
    var kind = clause.querySelector("select[id$='-kind']");
    if (!kind) { return; }
    var show = function () {
      clause.querySelectorAll("[data-only-for]").forEach(function (group) {
        group.hidden = group.getAttribute("data-only-for") !== kind.value;
      });
    };
    kind.addEventListener("change", show);
    show();
  });
  // A list that answers a question: <fieldset data-shown-when="has_offenses=yes"> is shown only while that answer
  // is chosen (hidden, so out of the accessibility tree too). Without JavaScript it is always shown.
  document.querySelectorAll("[data-shown-when]").forEach(function (section) {
    var rule = section.getAttribute("data-shown-when").split("="), form = section.closest("form");
    if (!form || rule.length !== 2) { return; }
    var radios = Array.prototype.filter.call(form.querySelectorAll("input[type=radio]"), function (input) {
      return input.name === rule[0];
    });
    if (!radios.length) { return; }
    var update = function () {
      section.hidden = !radios.some(function (input) { return input.checked && input.value === rule[1]; });
    };
    radios.forEach(function (input) {
      if (input.value === rule[1]) { input.setAttribute("aria-controls", section.id); }
      input.addEventListener("change", update);
    });
    update();
  });
  // A date field's example, written as this browser shows dates in the field (mm/dd/yyyy, dd/mm/yyyy, ...); where
  // the browser has no date field and the person types, as the server reads it (yyyy-mm-dd).
  document.querySelectorAll("[data-date-example]").forEach(function (example) {
    var iso = example.getAttribute("data-date-example"), input = document.getElementById(example.getAttribute("data-for"));
    if (!input) { return; }
    if (input.type !== "date") { example.textContent = iso; return; }
    if (!window.Intl || !Intl.DateTimeFormat) { return; }
    var parts = iso.split("-");
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    example.textContent = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit" }).format(day);
  });
  // A form that changes something is sent once: a second press while the first is on its way does nothing (the
  // server copes with a second one all the same). Pressed buttons are re-enabled when the page comes back from the
  // browser's history.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending") === "true") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "true");
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
          button.disabled = true;
          button.setAttribute("aria-disabled", "true");
        });
      }, 0);
    });
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
    });
  });
  // After a failed submit, move focus to the error summary so screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
