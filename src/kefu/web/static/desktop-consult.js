// kefu agent desktop: consultative transfer and the conference of three on a call. Loaded
// before desktop.js, which makes it with its helpers and draws it with the selected contact.
// While a consult lasts the call's attributes name the consulted agent ("consult") and, in
// a conference, "conference"; the consulted agent sees the contact too (its context and the
// hand-off), without the serving agent's controls.
"use strict";
function kefuConsult({ t, $, post, act, current, me, agentName }) {
  function render(c, active) {
    const call = c.channel === "voice" && active, mine = c.agent_id === me();
    const consulted = c.attributes.consult, conference = "conference" in c.attributes;
    $("consult-start").classList.toggle("hidden", !call || !mine || Boolean(consulted));
    $("call-consult").classList.toggle("hidden", !call || !consulted);
    if (!call || !consulted) return;
    $("consult-status").textContent = mine
      ? `${t(conference ? "in_conference" : "consulting")}: ${agentName(consulted)}`
      : `${t("consulted_by")}: ${agentName(c.agent_id)}`;
    const shown = { "consult-complete": !conference, "consult-cancel": !conference,
      "conference-start": !conference, "conference-leave": conference, "conference-end": conference };
    for (const [id, on] of Object.entries(shown)) $(id).classList.toggle("hidden", !mine || !on);
    $("call-hold").classList.add("hidden"); // hold and resume wait until the consult ends
    if (!mine) for (const id of ["transfer", "wrapup", "call-mute", "call-digits", "recording-pause"]) $(id).classList.add("hidden");
  }
  function note() { const text = $("transfer-note").value.trim(); $("transfer-note").value = ""; return { note: text }; }
  function step(path, body) { const c = current(); if (c) act(() => post(`/contacts/${c.contact_id}/call/${path}`, body)); }
  $("consult-start").addEventListener("click", () => {
    const [kind, target] = $("transfer-target").value.split(":");
    if (target) step("consult", { [kind === "queue" ? "to_queue_id" : "to_agent_id"]: target });
  });
  $("consult-complete").addEventListener("click", () => step("consult/complete", note()));
  $("consult-cancel").addEventListener("click", () => step("consult/cancel"));
  $("conference-start").addEventListener("click", () => step("conference"));
  $("conference-leave").addEventListener("click", () => step("conference/leave", note()));
  $("conference-end").addEventListener("click", () => step("conference/end"));
  return { render };
}
