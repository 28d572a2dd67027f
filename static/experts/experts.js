// Experts: a live character count on the request message, and a confirm before withdrawing.
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

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
