// kefu customer pages: English / 简体中文 switch and times in the browser's time zone.
// The page is rendered by the server; every customer-provided text is already escaped there.
"use strict";
kefuI18n.load("customers").then(function (I18N) {
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") ||
    (navigator.language.startsWith("zh") ? "zh" : "en");

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const text = I18N[lang][el.dataset.i18n];
      if (text) el.textContent = text;  // an unknown key (a disposition code) stays as sent
    });
    document.querySelectorAll("[data-why-kind]").forEach((el) => {
      // "case #c12 open", "product •••• 7890": the signal behind the likely reason.
      const text = I18N[lang]["vocab.why." + el.dataset.whyKind];
      if (text && el.dataset.whyId) el.textContent = kefuI18n.fill(text, { id: el.dataset.whyId });
    });
    document.querySelectorAll("[data-label-en]").forEach((el) => {
      el.textContent = lang === "zh" ? el.dataset.labelZh : el.dataset.labelEn;
    });
    document.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = I18N[lang][el.dataset.i18nPh]; });
    document.querySelectorAll("[data-at]").forEach((el) => {
      const at = parseFloat(el.dataset.at);
      el.textContent = Number.isFinite(at) ? new Date(at * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB") : "–";
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
