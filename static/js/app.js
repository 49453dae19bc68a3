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
  // Print buttons: <button data-print hidden>, shown only where this script runs (the page also says how to print)
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
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
  // Character counts, as USWDS's look: a field with a limit (data-most; web.forms.AtMost) counts its characters as
  // the server counts them: code points (an emoji is one, where a browser's maxlength counted two) of the answer
  // trimmed, accents composed (NFC), a line break one character. A text area says how many are left or too many,
  // always, under its "You can enter up to" line (id FIELD-count); a field of one line, which has no such line, says
  // only once it is over, and as the server would ("Shorten this to 100 characters or fewer: it has 104.").
  // Nothing is ever cut: the server refuses a longer answer with the same numbers and shows it again.
  var texts = document.querySelector("[data-count-texts]");
  var grouped = window.Intl ? new Intl.NumberFormat(document.documentElement.lang || undefined, { useGrouping: "always" }) : null;
  var counted = function (value) {
    return Array.from((value.normalize ? value.normalize("NFC") : value).trim()).length;
  };
  var written = function (count) { return grouped ? grouped.format(count) : String(count); };
  var say = function (name, count) {
    return texts.getAttribute("data-" + name + (count === 1 ? "-one" : "")).replace("{count}", written(count));
  };
  document.querySelectorAll("[data-most]").forEach(function (field) {
    if (!texts || !Array.from) { return; }
    var most = Number(field.getAttribute("data-most")), limit = document.getElementById(field.id + "-count");
    var status = document.createElement("div"), spoken = document.createElement("div"), timer = null;
    status.className = "usa-character-count__status usa-hint";
    status.setAttribute("aria-hidden", "true");  // read out by `spoken`, once typing pauses
    spoken.className = "usa-character-count__sr-status usa-sr-only";
    spoken.setAttribute("aria-live", "polite");
    (limit || field).insertAdjacentElement("afterend", status);
    status.insertAdjacentElement("afterend", spoken);
    var update = function (announce) {
      var count = counted(field.value), over = count > most;
      var text = !over ? say("left", most - count) : limit ? say("over", count - most)
        : texts.getAttribute("data-shorten").replace("{most}", written(most)).replace("{count}", written(count));
      var refused = document.getElementById(field.id + "-error");  // the server's message, already beside it
      status.textContent = text;
      status.hidden = (!over && !limit) || (refused !== null && refused.textContent === text);
      status.classList.toggle("usa-character-count__status--invalid", over);
      if (!announce) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = status.hidden ? "" : text; }, 1000);
    };
    field.addEventListener("input", function () { update(true); });
    update(false);
  });
  // After a failed submit, move focus to the error summary so screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    // A link to a group of radio buttons, tick boxes or rows (a fieldset) moves focus to its first control, with the
    // group's question in view: following the link alone would leave focus on the page, not in the form.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!target) { return; }
      if (target.matches("input, select, textarea, button")) { return; }  // the link's own jump focuses it
      var control = target.querySelector("input:not([type=hidden]), select, textarea, button");
      if (!control) { return; }
      event.preventDefault();
      if (window.history.replaceState) { window.history.replaceState(null, "", link.getAttribute("href")); }
      (target.closest("fieldset") || control.closest(".usa-form-group") || target).scrollIntoView();
      control.focus({ preventScroll: true });
    });
    summary.focus();
  }
})();
