// Experts: a live character count on the request message, a warning when the event is
// somewhere the expert doesn't go, and a confirm before withdrawing.
(function () {
  "use strict";

  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    if (!field) return;
    var min = parseInt(counter.dataset.min, 10) || 0;
    var max = parseInt(counter.dataset.max, 10) || 0;
    function update() {
      var length = field.value.trim().length;
      counter.textContent = max
        ? length + " / " + max.toLocaleString("en-GB") + " characters"
        : length + " characters";
      counter.classList.toggle("is-out-of-range", length > 0 && (length < min || length > max));
    }
    field.addEventListener("input", update);
    update();
  });

  // The request form: warn as soon as the event's region is one the expert doesn't go to.
  document.querySelectorAll("[data-travel]").forEach(function (box) {
    var select = box.querySelector("select");
    var warning = box.querySelector("[data-travel-warning]");
    if (!select || !warning) return;
    var withinReach = (box.dataset.withinReach || "").split(",").filter(Boolean);
    select.addEventListener("change", function () {
      warning.hidden = !select.value || withinReach.indexOf(select.value) !== -1;
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
