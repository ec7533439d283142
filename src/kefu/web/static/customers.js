// kefu customer pages: English / 简体中文 switch and times in the browser's time zone.
// The page is rendered by the server; every customer-provided text is already escaped there.
"use strict";
(function () {
  const I18N = {
    en: {
      title: "Customers", wallboard: "Wallboard", logout: "Log out", search: "Search",
      search_ph: "Name, phone, e-mail or customer id", id: "Id", name: "Name", ids: "Identities",
      sites: "Sites", last: "Last contact", no_results: "No customer of your sites matches.",
      tier: "Value tier", channels: "Channels", verified: "verified", merges: "Merges", undone: "undone",
      timeline: "Contacts on every channel", no_contacts: "No contacts yet.",
      not_found: "No customer of your sites has this id.", too_long: "Search with at most 100 characters.",
      voice: "Voice", chat: "Chat", email: "E-mail", sms: "SMS", social: "Social", branch: "Branch",
      callback: "Callback", workitem: "Work item", completed: "Completed", abandoned: "Abandoned",
      queued: "Queued", offered: "Ringing", active: "Active", wrapup: "Wrap-up", lang: "中文",
    },
    zh: {
      title: "客户查询", wallboard: "实时监控大屏", logout: "退出", search: "查找",
      search_ph: "姓名、手机号、邮箱或客户编号", id: "编号", name: "姓名", ids: "身份标识",
      sites: "站点", last: "最近联系", no_results: "您的站点中没有匹配的客户。",
      tier: "客户价值等级", channels: "渠道", verified: "已验证", merges: "合并记录", undone: "已撤销",
      timeline: "全渠道联系记录", no_contacts: "暂无联系记录。",
      not_found: "您的站点中没有此编号的客户。", too_long: "搜索内容最多 100 个字符。",
      voice: "电话", chat: "在线", email: "邮件", sms: "短信", social: "社交媒体", branch: "网点",
      callback: "回拨", workitem: "工单", completed: "已完成", abandoned: "已放弃",
      queued: "排队中", offered: "振铃", active: "进行中", wrapup: "话后处理", lang: "English",
    },
  };
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") ||
    (navigator.language.startsWith("zh") ? "zh" : "en");

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const text = I18N[lang][el.dataset.i18n];
      if (text) el.textContent = text;  // an unknown key (a disposition code) stays as sent
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
})();
