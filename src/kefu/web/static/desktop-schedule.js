// kefu agent desktop: the agent's next published shift beside the "My schedule" link, read
// from /api/v1/workforce/shifts (the caller's own) and refreshed every five minutes; shown
// in the site's time zone, in the desktop's language.
"use strict";
kefuI18n.load("wfm").then(function (I18N) {
  const link = document.getElementById("my-schedule");
  if (!link) return;
  const lang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
  const t = (k) => I18N[lang()][k] || k;
  const span = document.createElement("span");
  span.id = "next-shift";
  span.className = "muted";
  link.after(span);
  let next = null;

  function show() {
    if (!next) { span.textContent = ""; return; }
    const locale = lang() === "zh" ? "zh-CN" : "en-GB";
    const zone = next.timezone;
    const day = new Intl.DateTimeFormat(locale, {
      weekday: "short", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
      timeZone: zone,
    });
    const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: zone });
    span.textContent = " " + t("next_shift") + " " + day.format(new Date(next.start * 1000)) +
      "–" + time.format(new Date(next.end * 1000));
  }
  function refresh() {
    fetch("/api/v1/workforce/shifts", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : []))
      .then((shifts) => {
        const now = Date.now() / 1000;
        next = shifts.find((s) => s.end > now) || null;
        show();
      })
      .catch(() => {});
  }
  refresh();
  setInterval(refresh, 300000);
  new MutationObserver(show).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
});
