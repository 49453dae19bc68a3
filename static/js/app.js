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
  // After a failed submit, move focus to the error summary so screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
