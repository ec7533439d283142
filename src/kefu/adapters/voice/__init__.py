"""Voice: kefu's telephone front door (SIP UAS, RTP media, prompts, digits).

The SIP and RTP libraries are used only inside this package; everything else talks to the
:class:`~kefu.adapters.voice.port.VoicePort` and its events.
"""
