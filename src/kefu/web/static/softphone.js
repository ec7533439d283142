// kefu agent desktop: the browser softphone's media. kefu sends an SDP offer (PCMU only,
// its ICE candidates included); answer() opens the microphone, answers the offer and
// plays what kefu sends. The answer is returned once ICE gathering has finished, so
// signalling needs one message each way (no trickle). Served from kefu itself: no CDN.
"use strict";
window.kefuSoftphone = (function () {
  let pc = null, mic = null, speaker = null;

  function gathered(conn) {
    if (conn.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((done) => {
      conn.addEventListener("icegatheringstatechange", () => {
        if (conn.iceGatheringState === "complete") done();
      });
    });
  }

  async function answer(offerSdp) {
    hangUp();
    mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    pc = new RTCPeerConnection({ iceServers: [] });
    speaker = speaker || Object.assign(document.createElement("audio"), { autoplay: true });
    pc.ontrack = (e) => { speaker.srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
    mic.getAudioTracks().forEach((track) => pc.addTrack(track, mic));
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    return pc.localDescription.sdp;
  }

  function hangUp() {
    if (pc) pc.close();
    if (mic) mic.getTracks().forEach((track) => track.stop());
    pc = null; mic = null;
    if (speaker) speaker.srcObject = null;
  }

  // Audio bytes received from kefu and sent to it (headless chromium's audioLevel reads 0).
  async function stats() {
    const out = { received: 0, sent: 0, codec: "", state: pc ? pc.connectionState : "closed" };
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") out.received += r.bytesReceived || 0;
      if (r.type === "outbound-rtp" && r.kind === "audio") out.sent += r.bytesSent || 0;
      if (r.type === "codec") out.codec = out.codec || r.mimeType;
    });
    return out;
  }

  return { answer, hangUp, stats };
})();
