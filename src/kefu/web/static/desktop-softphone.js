// kefu agent desktop: the browser softphone's buttons. The desktop's socket pushes where
// this agent answers calls and the call in its browser (a "softphone" frame, passed on by
// desktop.js as the "kefu:softphone" event) when it rings, is answered or ends: no polling.
// The checkbox moves the agent's calls between its SIP phone and this browser; Answer
// opens the microphone and answers kefu's offer (softphone.js), Hang up ends or declines
// the call. The server tells each agent about its own calls only.
"use strict";
kefuI18n.load("softphone").then(function (I18N) {
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
  const t = (k) => I18N[lang()][k] || k;
  const csrf = () => (document.querySelector('.logout input[name="csrf_token"]') || {}).value || "";
  const URL = "/api/v1/desktop/softphone";
  let call = null, talking = false, answering = false;

  function label() {
    document.querySelectorAll("[data-softphone]").forEach((n) => { n.textContent = t(n.dataset.softphone); });
    $("softphone-state").textContent = t(talking ? "in_call" : "ringing");
  }
  function show(error) {
    $("softphone-call").classList.toggle("hidden", !call);
    $("softphone-caller").textContent = call ? call.caller : "";
    $("softphone-answer").classList.toggle("hidden", talking);
    $("softphone-error").textContent = error || "";
    $("softphone-error").classList.toggle("hidden", !error);
    label();
  }
  async function post(path, body, method) {
    const response = await fetch(URL + path, {
      method: method || "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept-Language": lang() === "zh" ? "zh-CN" : "en" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      throw new Error(data.message || response.statusText);
    }
  }
  function heard(seen) {
    $("softphone").classList.toggle("hidden", !seen.endpoint);
    $("softphone-browser").checked = seen.endpoint === "browser";
    const now = seen.call;
    if (talking || answering) {
      if (!now || now.leg_id !== call.leg_id) {
        // kefu ended the call (the caller hung up): the page's side closes too.
        kefuSoftphone.hangUp(); talking = false; call = null;
      }
    } else {
      call = now && now.state === "ringing" ? now : null;
    }
    show();
  }
  $("softphone-answer").addEventListener("click", async () => {
    if (!call || answering) return;
    answering = true;
    const ringing = call;
    try {
      const sdp = await kefuSoftphone.answer(ringing.sdp);
      await post("/" + encodeURIComponent(ringing.leg_id) + "/answer", { sdp });
      talking = !!call; show();
    } catch (e) { kefuSoftphone.hangUp(); show(e.message); }
    finally { answering = false; }
  });
  $("softphone-hangup").addEventListener("click", async () => {
    if (!call) return;
    const leg = call.leg_id;
    kefuSoftphone.hangUp(); talking = false; call = null; show();
    try { await post("/" + encodeURIComponent(leg) + "/hangup"); } catch (e) { show(e.message); }
  });
  $("softphone-browser").addEventListener("change", async (e) => {
    try { await post("/endpoint", { endpoint: e.target.checked ? "browser" : "sip" }, "PUT"); show(); }
    catch (err) { e.target.checked = !e.target.checked; show(err.message); }
  });
  new MutationObserver(label).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  window.addEventListener("kefu:softphone", (e) => heard(e.detail));
  show();
  if (window.kefuSoftphoneFrame) heard(window.kefuSoftphoneFrame);
});
