// Interests form: a live "N selected" counter. Progressive enhancement only: the form works
// without it, and the server checks the count either way.
(function () {
  "use strict";

  function init(form) {
    var counter = form.querySelector("[data-interests-counter]");
    if (!counter) {
      return;
    }
    var min = parseInt(form.getAttribute("data-min"), 10) || 0;
    var max = parseInt(form.getAttribute("data-max"), 10) || Infinity;
    var template = counter.getAttribute("data-template") || "__N__";
    var outOfRange = counter.getAttribute("data-out-of-range") || "";
    var boxes = form.querySelectorAll('input[type="checkbox"][name="interests"]');

    function update() {
      var count = 0;
      for (var i = 0; i < boxes.length; i += 1) {
        if (boxes[i].checked) {
          count += 1;
        }
      }
      var wrong = count < min || count > max;
      var text = template.replace("__N__", String(count));
      counter.textContent = wrong && outOfRange ? text + " (" + outOfRange + ")" : text;
      counter.classList.toggle("is-out-of-range", wrong);
    }

    form.addEventListener("change", update);
    counter.hidden = false;
    update();
  }

  function start() {
    var forms = document.querySelectorAll("[data-interests-form]");
    for (var i = 0; i < forms.length; i += 1) {
      init(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
