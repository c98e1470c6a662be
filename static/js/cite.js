// "Cite this": Copy buttons for the citations on a case page.
// The citations are text in the page, so without this script they can still be selected and copied by hand;
// the buttons stay hidden until it runs. The words it shows come from the page (data-* attributes on the
// #copy-status live region), so they are translated with the rest of it.
(function () {
  "use strict";

  var status = document.getElementById("copy-status");
  var words = {
    copied: (status && status.dataset.copied) || "Copied",
    selected: (status && status.dataset.selected) || "Selected: press Ctrl+C to copy",
  };
  var RESET_AFTER_MS = 2000;

  function announce(message) {
    if (!status) {
      return;
    }
    // Emptied first, so that the same message twice in a row is announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  }

  function selectText(element) {
    if (!element || !window.getSelection) {
      return false;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  function showCopied(button) {
    var label = button.querySelector(".cite__copy-label");
    if (!label) {
      return;
    }
    if (!button.dataset.label) {
      button.dataset.label = label.textContent;
    }
    label.textContent = words.copied;
    button.classList.add("cite__copy--done");
    window.clearTimeout(Number(button.dataset.timer || 0));
    button.dataset.timer = String(
      window.setTimeout(function () {
        label.textContent = button.dataset.label;
        button.classList.remove("cite__copy--done");
      }, RESET_AFTER_MS)
    );
  }

  // Without the Clipboard API (an http:// page, an old browser): select the text, then try the old command.
  function fallback(button) {
    var selected = selectText(document.getElementById(button.dataset.copySource));
    var copied = false;
    if (selected) {
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
    }
    if (copied) {
      showCopied(button);
      announce(words.copied);
    } else {
      announce(words.selected);
    }
  }

  function copy(button) {
    var text = button.dataset.copy || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          showCopied(button);
          announce(words.copied);
        },
        function () {
          fallback(button);
        }
      );
    } else {
      fallback(button);
    }
  }

  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button);
    });
  });
})();
