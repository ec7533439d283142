// kefu admin console: instants shown in the reader's time; nothing else needs a script.
"use strict";
(function () {
  const zh = document.documentElement.lang.startsWith("zh");
  for (const node of document.querySelectorAll("time[data-at]")) {
    const at = Number(node.dataset.at);
    if (Number.isFinite(at)) node.textContent = new Date(at * 1000).toLocaleString(zh ? "zh-CN" : "en-GB");
  }
})();
