// kefu login and account pages: English / 简体中文 switch (no external library).
"use strict";
kefuI18n.load("auth").then(function (I18N) {
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") ||
    (navigator.language.startsWith("zh") ? "zh" : "en");
  const retry = document.body.dataset.retryAfter || "0";

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const text = I18N[lang][el.dataset.i18n];
      if (text) el.textContent = text.replace("{s}", retry);
    });
    document.getElementById("lang").textContent = I18N[lang].lang;
  }
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("kefu.lang", lang);
    apply();
  });
  apply();
});
