"""Web pages served by kefu (Jinja2 templates, static JS/CSS, no CDN): the wallboard."""

from kefu.web.wallboard import Wallboard

__all__ = ["Wallboard"]
