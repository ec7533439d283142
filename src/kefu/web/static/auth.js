// kefu login and account pages: English / 简体中文 switch (no external library).
"use strict";
(function () {
  const I18N = {
    en: {
      sign_in: "Sign in", username: "Username", password: "Password", submit: "Sign in",
      bad_login: "Wrong username or password.",
      rate_limited: "Too many failed attempts. Try again in {s} s.",
      csrf: "The form expired. Please try again.",
      signed_in: "Signed in", logout: "Sign out", open_wallboard: "Open the wallboard",
      open_desktop: "Open the agent desktop", open_counter: "Open the branch counter",
      open_customers: "Find a customer",
      agent_note: "This login is not linked to an agent yet; an admin links it.",
      forbidden: "This page is for supervisors and admins.",
      role_agent: "agent", role_supervisor: "supervisor", role_admin: "admin", lang: "中文",
    },
    zh: {
      sign_in: "登录", username: "用户名", password: "密码", submit: "登录",
      bad_login: "用户名或密码错误。",
      rate_limited: "登录失败次数过多，请 {s} 秒后再试。",
      csrf: "表单已过期，请重试。",
      signed_in: "已登录", logout: "退出登录", open_wallboard: "打开实时监控大屏",
      open_desktop: "打开座席工作台", open_counter: "打开网点叫号窗口",
      open_customers: "查找客户",
      agent_note: "此账号尚未关联座席，请联系管理员关联。",
      forbidden: "此页面仅供主管和管理员使用。",
      role_agent: "座席", role_supervisor: "主管", role_admin: "管理员", lang: "English",
    },
  };
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
})();
