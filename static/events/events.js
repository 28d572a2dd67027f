/* Events: copy the calendar address, and filter the check-in list by name. No inline JS. */
(function () {
  "use strict";

  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy-target"));
      if (!input) {
        return;
      }
      var done = function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied-text") || label;
        window.setTimeout(function () {
          button.textContent = label;
        }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  document.querySelectorAll("[data-filter-list]").forEach(function (search) {
    var listId = search.getAttribute("data-filter-list");
    var list = document.getElementById(listId);
    var empty = document.querySelector('[data-filter-empty="' + listId + '"]');
    if (!list) {
      return;
    }
    search.addEventListener("input", function () {
      var wanted = search.value.trim().toLowerCase();
      var shown = 0;
      list.querySelectorAll("[data-filter-text]").forEach(function (row) {
        var match = !wanted || row.getAttribute("data-filter-text").indexOf(wanted) !== -1;
        row.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      if (empty) {
        empty.classList.toggle("d-none", shown > 0);
      }
    });
  });
})();
