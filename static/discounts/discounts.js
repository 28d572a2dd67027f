// Copy buttons for members' codes. Progressive enhancement: the code is plain, selectable
// text without JavaScript; the button only appears when the Clipboard API is available.
(function () {
  "use strict";

  function init(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied") || "Copied";
          }
        },
        function () {
          if (status) {
            status.textContent = button.getAttribute("data-copy-failed") || "";
          }
        }
      );
    });
  }

  function start() {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    var buttons = document.querySelectorAll("[data-copy-target]");
    for (var i = 0; i < buttons.length; i += 1) {
      init(buttons[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
